//! Per-column data profile of a live table: one full scan, one [`Profile`]
//! per column.
//!
//! **Input**: an open connection (the caller registers any collations the
//! database needs, e.g. Anki's `unicase`) and a [`Table`] whose columns came
//! from `PRAGMA table_xinfo`. **Output**: `Vec<Profile>`, one per entry of
//! `table.columns`, in the same order.
//!
//! The scan is a single `SELECT "c1", "c2", … FROM "t"` reading each value as
//! a borrowed [`ValueRef`]; nothing is allocated per value. Hidden columns of
//! virtual tables (`hidden == true`) are not read: their profile is
//! `Profile::default()` (so `rows == 0` marks "not profiled"). Generated
//! columns, VIRTUAL or STORED, are read like any other.
//!
//! # Exact meaning of every count
//!
//! All counts are numbers of values of one column over `rows` scanned rows.
//!
//! * Storage classes `nulls`, `integers`, `reals`, `texts`, `blobs` come from
//!   the [`ValueRef`] variant, which equals SQLite's `typeof()`; they sum to
//!   `rows`.
//! * **Texts** (every text count is a subset of `texts`):
//!   * `invalid_utf8`: bytes that are not UTF-8 (SQLite stores what it is
//!     given). Such a text is counted in no other text class except
//!     `nul_bytes`; its length counts bytes.
//!   * `nul_bytes`: the text holds a 0 byte.
//!   * `text_len_max`: longest text in Unicode scalar values (characters).
//!   * `empty_texts`: `''`. The empty text is in no other text class.
//!   * `json_values`: the whole text parses as one JSON value (RFC 8259:
//!     leading/trailing JSON whitespace allowed, scalars such as `1`, `"x"`,
//!     `true`, `null` included). `json_docs` ⊆ `json_values`: those whose
//!     first non-whitespace character is `{` or `[`. Nesting deeper than 128
//!     levels is rejected (serde_json's recursion limit).
//!   * `uuid_texts`: exactly 36 bytes `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`
//!     of hex digits, any case; `uuid_upper` ⊆ `uuid_texts`: at least one
//!     `A`–`F`.
//!   * `iso_dates`: exactly `YYYY-MM-DD`.
//!   * `iso_timestamps`: `YYYY-MM-DD[ T]HH:MM[:SS[.f+]]` and nothing else.
//!   * `iso_timestamps_tz`: the same followed by `Z`, `±HH:MM` or `±HHMM`.
//!
//!   The three ISO classes are disjoint. Fields are range-checked: year
//!   0001–9999, month 1–12, day 1–(days in that month, leap years included),
//!   hour 0–23, minute 0–59, second 0–60 (leap second), zone hour 0–15 and
//!   zone minute 0–59 (PostgreSQL rejects offsets beyond ±15:59). A fraction
//!   needs at least one digit. No surrounding whitespace.
//!   * `bool_texts`: `true`, `false`, `t`, `f` in any case.
//!   * `int_texts`: SQLite's integer literal syntax as its affinity
//!     conversion accepts it: optional leading/trailing whitespace (space,
//!     `\t`, `\n`, `\v`, `\f`, `\r`), optional `+`/`-`, one or more digits,
//!     and the value fits in an `i64`. No hex, no `.`, no exponent (SQLite
//!     turns `1e3` into the integer 1000, but PostgreSQL's `bigint` input
//!     would not accept it).
//!   * `real_texts`: SQLite's numeric literal syntax: same whitespace and
//!     sign, then `digits[.digits]`, `digits.` or `.digits`, then an optional
//!     `e`/`E`, optional sign, digits — **every int text is also a real
//!     text**, and so are integers too large for `i64`. Values that overflow
//!     to ±Infinity (`1e999`) are excluded.
//! * **Integers**: `int_min`/`int_max` over all integer values; `bool_ints`:
//!   0 or 1. The epoch ranges are disjoint from each other (not from
//!   `bool_ints`):
//!   * `epoch_s`:  `0 ..= 4_102_444_800` (1970-01-01 ..= 2100-01-01 in s);
//!   * `epoch_ms`: `100_000_000_000 ..= 4_102_444_800_000`
//!     (1973-03-03 ..= 2100-01-01 in ms);
//!   * `epoch_us`: `100_000_000_000_000 ..= 4_102_444_800_000_000`
//!     (1973-03-03 ..= 2100-01-01 in µs).
//!
//!   Reals are never counted as epochs, even when integral.
//! * **Reals**: `non_finite`: NaN or ±Infinity; `julian`: finite and within
//!   `2_440_587.5 ..= 2_488_069.5` (1970-01-01 ..= 2100-01-01 as Julian day
//!   numbers).
//! * **Blobs**: `blob_len_min`/`blob_len_max` in bytes; `blob16`: exactly 16
//!   bytes; `f32_blobs`: non-empty, length a multiple of 4, and every 4-byte
//!   little-endian IEEE-754 float32 finite; `text_blobs`: valid UTF-8
//!   without a NUL byte (text stored as a blob).
//!
//! * **Digits** (NUMERIC(p[,s]) columns only): `num_int_digits_max`, the most
//!   significant digits before the point of an integer or finite real (0
//!   for 0 and for 0.4, as PostgreSQL's numeric(p,s) counts them), and
//!   `num_scale_max`, the most digits after it (reals rendered as the
//!   shortest decimal that reads back as the same double).
//!
//! Invariant: `Option` fields are `None` exactly when no value of that class
//! was seen.
use crate::ir::sqlite::{Profile, Table};
use crate::value::lexical::{
    Iso, JsonKind, Numeric, is_bool_text, is_f32_vector, is_uuid, iso_kind, json_kind, numeric_text,
};
use rusqlite::types::ValueRef;

/// Full scan of `table`, one [`Profile`] per column of `table.columns`, in
/// order. Hidden (virtual-table) columns are not read and get
/// `Profile::default()`.
pub fn profile_table(conn: &rusqlite::Connection, table: &Table) -> rusqlite::Result<Vec<Profile>> {
    let visible = || table.columns.iter().filter(|c| !c.hidden);
    let readable: Vec<&str> = visible().map(|c| c.name.as_str()).collect();
    // Digit counts cost a decimal rendering per real: only NUMERIC(p[,s]) needs them.
    let digits: Vec<bool> = visible()
        .map(|c| c.affinity == crate::ir::sqlite::Affinity::Numeric && !c.type_args.is_empty())
        .collect();
    let mut scanned = scan(conn, &table.name, &readable, &digits)?.into_iter();
    let mut out = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        if column.hidden {
            out.push(Profile::default());
        } else {
            out.push(scanned.next().unwrap_or_default());
        }
    }
    Ok(out)
}

/// Full scan of the named `columns` of table `table` (in the `main`
/// schema), one [`Profile`] per name, in order. An empty `columns` reads
/// nothing and returns an empty vector.
pub fn profile_columns(
    conn: &rusqlite::Connection,
    table: &str,
    columns: &[&str],
) -> rusqlite::Result<Vec<Profile>> {
    scan(conn, table, columns, &vec![false; columns.len()])
}

/// The scan behind [`profile_columns`]; `digits[i]` asks for the NUMERIC
/// digit counts of column `i`.
fn scan(
    conn: &rusqlite::Connection,
    table: &str,
    columns: &[&str],
    digits: &[bool],
) -> rusqlite::Result<Vec<Profile>> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from("SELECT ");
    for (i, name) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_quoted(&mut sql, name);
    }
    sql.push_str(" FROM ");
    push_quoted(&mut sql, table);

    let mut stmt = conn.prepare(&sql)?;
    let mut acc: Vec<Acc> = (0..columns.len())
        .map(|i| Acc {
            digits: digits.get(i).copied().unwrap_or(false),
            ..Acc::default()
        })
        .collect();
    let mut rows_scanned: u64 = 0;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        rows_scanned += 1;
        for (i, a) in acc.iter_mut().enumerate() {
            a.add(row.get_ref(i)?);
        }
    }
    Ok(acc.into_iter().map(|a| a.finish(rows_scanned)).collect())
}

/// Names of the columns of `table` that a plain `SELECT` can read, in
/// declaration order: every column of `PRAGMA table_xinfo` except hidden
/// virtual-table columns (`hidden = 1`); generated columns are included.
pub fn readable_columns(conn: &rusqlite::Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name, hidden FROM pragma_table_xinfo(?1)")?;
    let rows = stmt.query_map([table], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (name, hidden) = row?;
        if hidden != 1 {
            out.push(name);
        }
    }
    Ok(out)
}

/// Append `name` as an SQLite identifier: double quotes, embedded `"`
/// doubled.
fn push_quoted(sql: &mut String, name: &str) {
    sql.push('"');
    for ch in name.chars() {
        if ch == '"' {
            sql.push('"');
        }
        sql.push(ch);
    }
    sql.push('"');
}

const EPOCH_S: std::ops::RangeInclusive<i64> = 0..=4_102_444_800;
const EPOCH_MS: std::ops::RangeInclusive<i64> = 100_000_000_000..=4_102_444_800_000;
const EPOCH_US: std::ops::RangeInclusive<i64> = 100_000_000_000_000..=4_102_444_800_000_000;
const JULIAN_MIN: f64 = 2_440_587.5;
const JULIAN_MAX: f64 = 2_488_069.5;

/// The running state of one column: the profile counts plus min/max kept
/// as plain numbers (sentinels) so the hot loop does not touch `Option`s.
struct Acc {
    p: Profile,
    int_min: i64,
    int_max: i64,
    blob_min: u64,
    blob_max: u64,
    text_max: u64,
    /// Measure digits for NUMERIC(p,s) fit (only for such columns: costly).
    digits: bool,
    int_digits: u64,
    scale: u64,
    buf: String,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            p: Profile::default(),
            int_min: i64::MAX,
            int_max: i64::MIN,
            blob_min: u64::MAX,
            blob_max: 0,
            text_max: 0,
            digits: false,
            int_digits: 0,
            scale: 0,
            buf: String::new(),
        }
    }
}

impl Acc {
    #[inline]
    fn add(&mut self, v: ValueRef<'_>) {
        match v {
            ValueRef::Null => self.p.nulls += 1,
            ValueRef::Integer(i) => self.add_int(i),
            ValueRef::Real(r) => self.add_real(r),
            ValueRef::Text(b) => self.add_text(b),
            ValueRef::Blob(b) => self.add_blob(b),
        }
    }

    #[inline]
    fn add_int(&mut self, v: i64) {
        let p = &mut self.p;
        p.integers += 1;
        self.int_min = self.int_min.min(v);
        self.int_max = self.int_max.max(v);
        if v == 0 || v == 1 {
            p.bool_ints += 1;
        }
        if self.digits {
            // 0 has no digit before the point: it fits numeric(2,2).
            self.int_digits = self.int_digits.max(
                v.unsigned_abs()
                    .checked_ilog10()
                    .map_or(0, |d| u64::from(d) + 1),
            );
        }
        if EPOCH_S.contains(&v) {
            p.epoch_s += 1;
        } else if EPOCH_MS.contains(&v) {
            p.epoch_ms += 1;
        } else if EPOCH_US.contains(&v) {
            p.epoch_us += 1;
        }
    }

    #[inline]
    fn add_real(&mut self, v: f64) {
        let p = &mut self.p;
        p.reals += 1;
        if !v.is_finite() {
            p.non_finite += 1;
        } else if (JULIAN_MIN..=JULIAN_MAX).contains(&v) {
            p.julian += 1;
        }
        if self.digits && v.is_finite() {
            // Rust prints the shortest decimal that reads back as the same
            // double, never in exponent form.
            use std::fmt::Write;
            self.buf.clear();
            let _ = write!(self.buf, "{}", v.abs());
            let (int, frac) = self.buf.split_once('.').unwrap_or((&self.buf, ""));
            // Leading zeros do not count: 0.4 fits numeric(2,2).
            let int_digits = int.trim_start_matches('0').len() as u64;
            self.int_digits = self.int_digits.max(int_digits);
            self.scale = self.scale.max(frac.len() as u64);
        }
    }

    fn add_blob(&mut self, b: &[u8]) {
        let p = &mut self.p;
        p.blobs += 1;
        let len = b.len() as u64;
        self.blob_min = self.blob_min.min(len);
        self.blob_max = self.blob_max.max(len);
        if len == 16 {
            p.blob16 += 1;
        }
        if is_f32_vector(b) {
            p.f32_blobs += 1;
        }
        if !b.contains(&0) && std::str::from_utf8(b).is_ok() {
            p.text_blobs += 1;
        }
    }

    fn add_text(&mut self, b: &[u8]) {
        let p = &mut self.p;
        p.texts += 1;
        if b.is_empty() {
            p.empty_texts += 1;
            return;
        }
        if b.contains(&0) {
            p.nul_bytes += 1;
        }
        let s = match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(_) => {
                p.invalid_utf8 += 1;
                self.text_max = self.text_max.max(b.len() as u64);
                return;
            }
        };
        let chars = if b.is_ascii() {
            b.len()
        } else {
            s.chars().count()
        };
        self.text_max = self.text_max.max(chars as u64);

        // Everything below is dispatched on the first byte(s), so ordinary
        // prose pays for one or two comparisons only.
        match json_kind(s) {
            JsonKind::Doc => {
                p.json_docs += 1;
                p.json_values += 1;
            }
            JsonKind::Scalar => p.json_values += 1,
            JsonKind::No => {}
        }
        if b.len() == 36 && is_uuid(b) {
            p.uuid_texts += 1;
            if b.iter().any(|c| (b'A'..=b'F').contains(c)) {
                p.uuid_upper += 1;
            }
        }
        match iso_kind(b) {
            Some(Iso::Date) => p.iso_dates += 1,
            Some(Iso::Timestamp) => p.iso_timestamps += 1,
            Some(Iso::TimestampTz) => p.iso_timestamps_tz += 1,
            None => {}
        }
        if is_bool_text(b) {
            p.bool_texts += 1;
        }
        match numeric_text(b) {
            Numeric::Int => {
                p.int_texts += 1;
                p.real_texts += 1;
            }
            Numeric::Real => p.real_texts += 1,
            Numeric::No => {}
        }
    }

    fn finish(mut self, rows: u64) -> Profile {
        let p = &mut self.p;
        p.rows = rows;
        if p.integers > 0 {
            p.int_min = Some(self.int_min);
            p.int_max = Some(self.int_max);
        }
        if p.blobs > 0 {
            p.blob_len_min = Some(self.blob_min);
            p.blob_len_max = Some(self.blob_max);
        }
        if p.texts > 0 {
            p.text_len_max = Some(self.text_max);
        }
        if self.digits && p.integers + p.reals - p.non_finite > 0 {
            p.num_int_digits_max = Some(self.int_digits);
            p.num_scale_max = Some(self.scale);
        }
        self.p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::sqlite::{Column, TableKind};
    use rusqlite::{Connection, OpenFlags};

    fn column(name: &str, hidden: bool) -> Column {
        Column {
            hidden,
            ..Column::new(name)
        }
    }

    fn table(name: &str, columns: &[(&str, bool)]) -> Table {
        Table {
            columns: columns.iter().map(|(n, h)| column(n, *h)).collect(),
            ..Table::new(name, TableKind::Ordinary, "")
        }
    }

    #[test]
    fn numeric_columns_report_digits_before_and_after_the_point() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE m (price NUMERIC(10,2), plain REAL);
             INSERT INTO m VALUES (0.99, 0.99), (1.1 + 2.2, 1.1 + 2.2), (-123456, 1e300), (NULL, NULL);",
        )
        .unwrap();
        let mut t = table("m", &[("price", false), ("plain", false)]);
        t.columns[0].affinity = crate::ir::sqlite::Affinity::Numeric;
        t.columns[0].type_args = vec![10, 2];
        let p = profile_table(&conn, &t).unwrap();
        // 3.3000000000000003 has 16 digits after the point; -123456 has 6 before it.
        assert_eq!(p[0].num_scale_max, Some(16));
        assert_eq!(p[0].num_int_digits_max, Some(6));
        // Not a NUMERIC(p,s) column: not measured.
        assert_eq!(p[1].num_scale_max, None);
        assert_eq!(p[1].num_int_digits_max, None);
    }

    #[test]
    fn zero_and_fractions_below_one_have_no_digit_before_the_point() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE m (r DECIMAL(2,2)); INSERT INTO m VALUES (0), (0.4), (-0.25);",
        )
        .unwrap();
        let mut t = table("m", &[("r", false)]);
        t.columns[0].affinity = crate::ir::sqlite::Affinity::Numeric;
        t.columns[0].type_args = vec![2, 2];
        let p = profile_table(&conn, &t).unwrap();
        assert_eq!(p[0].num_int_digits_max, Some(0));
        assert_eq!(p[0].num_scale_max, Some(2));
    }

    /// A table whose columns are read from the live database.
    fn live_table(conn: &Connection, name: &str) -> Table {
        let mut stmt = conn
            .prepare("SELECT name, hidden FROM pragma_table_xinfo(?1)")
            .unwrap();
        let cols: Vec<(String, bool)> = stmt
            .query_map([name], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let refs: Vec<(&str, bool)> = cols.iter().map(|(n, h)| (n.as_str(), *h)).collect();
        table(name, &refs)
    }

    /// Profile of the single column `v` of `CREATE TABLE t(v <decl>)`
    /// holding the given SQL value expressions.
    fn profile_of(decl: &str, values: &[&str]) -> Profile {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("CREATE TABLE t(v {decl});"))
            .unwrap();
        for v in values {
            conn.execute_batch(&format!("INSERT INTO t VALUES ({v});"))
                .unwrap();
        }
        let t = live_table(&conn, "t");
        let mut p = profile_table(&conn, &t).unwrap();
        assert_eq!(p.len(), 1);
        p.remove(0)
    }

    fn corpus(rel: &str) -> Connection {
        let path = format!("{}/../shared/corpus/{rel}", env!("CARGO_MANIFEST_DIR"));
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
    }

    fn profile_named(conn: &Connection, tbl: &str, col: &str) -> Profile {
        let t = live_table(conn, tbl);
        let i = t.columns.iter().position(|c| c.name == col).unwrap();
        profile_table(conn, &t).unwrap().remove(i)
    }

    #[test]
    fn storage_classes_come_from_typeof_and_sum_to_rows() {
        let p = profile_of(
            "",
            &["NULL", "NULL", "1", "2.5", "'x'", "x'00'", "-7", "1e300"],
        );
        assert_eq!(p.rows, 8);
        assert_eq!(
            (p.nulls, p.integers, p.reals, p.texts, p.blobs),
            (2, 2, 2, 1, 1)
        );
        assert_eq!((p.int_min, p.int_max), (Some(-7), Some(1)));
        assert_eq!(p.text_len_max, Some(1));
        assert_eq!((p.blob_len_min, p.blob_len_max), (Some(1), Some(1)));
    }

    #[test]
    fn all_null_column_leaves_min_max_none() {
        let p = profile_of("INTEGER", &["NULL", "NULL"]);
        assert_eq!(
            p,
            Profile {
                rows: 2,
                nulls: 2,
                ..Profile::default()
            }
        );
    }

    #[test]
    fn empty_table_has_zero_rows() {
        let p = profile_of("TEXT", &[]);
        assert_eq!(p, Profile::default());
    }

    #[test]
    fn json_docs_are_objects_and_arrays_json_values_include_scalars() {
        let p = profile_of(
            "TEXT",
            &[
                r#"'{"a": 1}'"#,
                r#"'  [1, 2, {"b": null}]  '"#,
                "'1'",
                r#"'"str"'"#,
                "'true'",
                "'null'",
                "'-2.5e3'",
                r#"'{"a": 1'"#,    // broken
                r#"'{"a": 1} x'"#, // trailing garbage
                "'[1,]'",          // trailing comma
                "'01'",            // leading zero
                "'hello'",
                "''",
            ],
        );
        assert_eq!(p.texts, 13);
        assert_eq!(p.json_docs, 2);
        assert_eq!(p.json_values, 7);
        assert_eq!(p.empty_texts, 1);
    }

    #[test]
    fn json_scalars_are_checked_by_rfc_8259_grammar() {
        for ok in [
            "0", "-0", "1.5", "-12e+3", "0.5E-2", " 1 ", "true", "null", r#""""#, r#"" a ""#,
        ] {
            assert_eq!(json_kind(ok), JsonKind::Scalar, "{ok:?}");
        }
        for no in [
            "-",
            "1.",
            "1e",
            ".5",
            "+1",
            "01",
            "1 2",
            "True",
            "nul",
            r#"""#,
            r#""a"#,
            "2024-01-01",
            "\u{b}1",
        ] {
            assert_eq!(json_kind(no), JsonKind::No, "{no:?}");
        }
        assert_eq!(json_kind("\t{}\n"), JsonKind::Doc);
        assert_eq!(json_kind("[1, 2"), JsonKind::No);
        assert_eq!(json_kind(r#"{"a": [1, {"b": "}"}]}"#), JsonKind::Doc);
    }

    #[test]
    fn uuid_texts_counted_in_either_case_upper_flags_a_to_f() {
        let p = profile_of(
            "TEXT",
            &[
                "'123e4567-e89b-12d3-a456-426614174000'",
                "'123E4567-E89B-12D3-A456-426614174000'",
                "'12345678-1234-1234-1234-123456789012'",
                "'123e4567e89b12d3a456426614174000'", // no hyphens
                "'123e4567-e89b-12d3-a456-42661417400g'",
                "'{123e4567-e89b-12d3-a456-426614174000}'",
            ],
        );
        assert_eq!(p.uuid_texts, 3);
        assert_eq!(p.uuid_upper, 1);
    }

    #[test]
    fn iso_dates_timestamps_and_zoned_timestamps_are_disjoint() {
        let p = profile_of(
            "TEXT",
            &[
                "'2024-02-29'",                  // date (leap year)
                "'2023-02-29'",                  // invalid day
                "'2024-13-01'",                  // invalid month
                "'2024-01-01 12:30'",            // ts
                "'2024-01-01T12:30:59'",         // ts
                "'2024-01-01 12:30:60.123456'",  // ts (leap second)
                "'2024-01-01 24:00:00'",         // hour out of range
                "'2024-01-01 12:60'",            // minute out of range
                "'2024-01-01 12:30:00.'",        // empty fraction
                "'2024-01-01T12:30:00Z'",        // tz
                "'2024-01-01 12:30:00.5+05:30'", // tz
                "'2024-01-01 12:30-0800'",       // tz
                "'2024-01-01 12:30+16:00'",      // zone hour too big
                "'2024-01-01 12:30+05'",         // zone needs minutes
                "'2024-01-01 12:30:00 '",        // trailing space
                "'2024-1-01'",                   // short month
                "'0000-01-01'",                  // year 0
            ],
        );
        assert_eq!(p.iso_dates, 1);
        assert_eq!(p.iso_timestamps, 3);
        assert_eq!(p.iso_timestamps_tz, 3);
    }

    #[test]
    fn epoch_ranges_are_disjoint_and_bool_ints_are_zero_or_one() {
        let p = profile_of(
            "INTEGER",
            &[
                "0",                // bool + epoch_s
                "1",                // bool + epoch_s
                "1700000000",       // epoch_s
                "4102444800",       // epoch_s upper bound
                "4102444801",       // gap: too big for s, too small for ms
                "99999999999",      // gap
                "1700000000000",    // epoch_ms
                "4102444800000",    // epoch_ms upper bound
                "1700000000000000", // epoch_us
                "4102444800000000", // epoch_us upper bound
                "4102444800000001", // beyond every range
                "-1",               // negative
                "2",                // epoch_s only
            ],
        );
        assert_eq!(p.integers, 13);
        assert_eq!(p.bool_ints, 2);
        assert_eq!(p.epoch_s, 5); // 0, 1, 2, 1700000000, 4102444800
        assert_eq!(p.epoch_ms, 2);
        assert_eq!(p.epoch_us, 2);
        assert_eq!(p.int_min, Some(-1));
        assert_eq!(p.int_max, Some(4102444800000001));
    }

    #[test]
    fn reals_count_julian_and_non_finite_never_epoch() {
        let p = profile_of(
            "REAL",
            &[
                "2460000.5",
                "2440587.5",
                "2488069.5",
                "2488070.0",
                "1700000000.0", // REAL affinity keeps it real: not epoch
                "9e999",        // +Inf
                "-9e999",       // -Inf
                "0.5",
            ],
        );
        assert_eq!(p.reals, 8);
        assert_eq!(p.integers, 0);
        assert_eq!(p.julian, 3);
        assert_eq!(p.non_finite, 2);
        assert_eq!(p.epoch_s, 0);
    }

    #[test]
    fn bool_texts_accept_true_false_t_f_in_any_case() {
        let p = profile_of(
            "TEXT",
            &[
                "'true'", "'FALSE'", "'True'", "'t'", "'F'", "'yes'", "'1'", "'tru'",
            ],
        );
        assert_eq!(p.bool_texts, 5);
    }

    #[test]
    fn text_in_integer_column_counts_empty_and_non_numeric_texts() {
        // INTEGER affinity converts every well-formed number, so only what
        // the conversion refused stays text there.
        let p = profile_of("INTEGER", &["''", "'abc'", "' 12 '", "'1.5x'", "5"]);
        assert_eq!(p.integers, 2); // ' 12 ' became 12, plus 5
        assert_eq!(p.texts, 3);
        assert_eq!(p.empty_texts, 1);
        assert_eq!((p.int_texts, p.real_texts), (0, 0));
        assert_eq!(p.text_len_max, Some(4));
    }

    #[test]
    fn numeric_texts_in_an_untyped_column_are_counted() {
        // No affinity (untyped column): numeric-looking text stays text.
        let p = profile_of("", &["' 12'", "'3.5'", "'x'"]);
        assert_eq!(p.texts, 3);
        assert_eq!((p.int_texts, p.real_texts), (1, 2));
    }

    #[test]
    fn int_and_real_texts_follow_sqlite_literal_syntax() {
        let p = profile_of(
            "TEXT",
            &[
                "' 12 '",                 // int (spaces allowed)
                "'+5'",                   // int
                "'-9223372036854775808'", // int (i64::MIN)
                "'9223372036854775808'",  // too big: real only
                "'1.5'",                  // real
                "'.5'",                   // real
                "'5.'",                   // real
                "'1e3'",                  // real (not an int text)
                "'-1.5E-3'",              // real
                "'1e999'",                // overflows: neither
                "'0x10'",                 // hex: neither
                "'.'",                    // neither
                "'e5'",                   // neither
                "'- 1'",                  // neither
                "'1_0'",                  // neither
                "' '",                    // neither
            ],
        );
        assert_eq!(p.int_texts, 3);
        assert_eq!(p.real_texts, 9);
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_are_detected_on_raw_bytes() {
        let p = profile_of(
            "TEXT",
            &[
                "CAST(x'610062' AS TEXT)",
                "CAST(x'ff' AS TEXT)",
                "CAST(x'ff00fe' AS TEXT)",
                "'héllo'",
            ],
        );
        assert_eq!(p.texts, 4);
        assert_eq!(p.nul_bytes, 2);
        assert_eq!(p.invalid_utf8, 2);
        // 'héllo' is 5 characters (6 bytes); the invalid one counts 3 bytes.
        assert_eq!(p.text_len_max, Some(5));
    }

    #[test]
    fn text_len_max_counts_characters_not_bytes() {
        let p = profile_of("TEXT", &["'日本語'", "'ab'"]);
        assert_eq!(p.text_len_max, Some(3));
    }

    #[test]
    fn blobs_count_16_bytes_lengths_and_finite_f32_vectors() {
        let p = profile_of(
            "BLOB",
            &[
                "x'00112233445566778899aabbccddeeff'", // 16 bytes; last f32 NaN
                "x'0000803f0000803f0000803f0000803f'", // 16 bytes; [1.0; 4]
                "x'0000803f00000040'",                 // [1.0, 2.0]
                "x'0000c07f0000803f'",                 // [NaN, 1.0]
                "x'0000807f'",                         // [+Inf]
                "x'000080'",                           // 3 bytes
                "x''",                                 // empty
            ],
        );
        assert_eq!(p.blobs, 7);
        assert_eq!(p.blob16, 2);
        assert_eq!(p.f32_blobs, 2);
        assert_eq!((p.blob_len_min, p.blob_len_max), (Some(0), Some(16)));
    }

    #[test]
    fn identifiers_with_quotes_and_spaces_are_quoted() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            r#"CREATE TABLE "we""ird t" ("a""b" TEXT, "c d" INT);
               INSERT INTO "we""ird t" VALUES ('x', 1);"#,
        )
        .unwrap();
        let t = live_table(&conn, "we\"ird t");
        let p = profile_table(&conn, &t).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].texts, p[1].integers), (1, 1));
    }

    #[test]
    fn generated_virtual_columns_are_read_hidden_columns_get_default() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE g (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL);
             INSERT INTO g(a) VALUES (1), (2);",
        )
        .unwrap();
        let t = live_table(&conn, "g");
        let p = profile_table(&conn, &t).unwrap();
        assert_eq!(p[1].integers, 2);
        assert_eq!(p[1].int_max, Some(4));

        // A hidden column listed in the Table is skipped, order is kept.
        let t = table("g", &[("a", false), ("hid", true), ("b", false)]);
        let p = profile_table(&conn, &t).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].int_max, Some(2));
        assert_eq!(p[1], Profile::default());
        assert_eq!(p[2].int_max, Some(4));
    }

    #[test]
    fn strict_and_without_rowid_tables_scan_like_any_other() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE s (k TEXT PRIMARY KEY, n INTEGER) STRICT, WITHOUT ROWID;
             INSERT INTO s VALUES ('a', 1), ('b', NULL);",
        )
        .unwrap();
        let p = profile_table(&conn, &live_table(&conn, "s")).unwrap();
        assert_eq!((p[0].rows, p[0].texts, p[1].nulls), (2, 2, 1));
    }

    #[test]
    fn missing_table_is_an_error_not_a_panic() {
        let conn = Connection::open_in_memory().unwrap();
        let t = table("nope", &[("a", false)]);
        assert!(profile_table(&conn, &t).is_err());
    }

    #[test]
    fn readable_columns_skip_hidden_vtab_columns() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE g (a INTEGER, b AS (a + 1));")
            .unwrap();
        assert_eq!(readable_columns(&conn, "g").unwrap(), vec!["a", "b"]);
        // json_each has hidden columns `json` and `root`.
        let cols = readable_columns(&conn, "json_each").unwrap();
        assert!(cols.contains(&"key".to_string()));
        assert!(!cols.contains(&"json".to_string()));
    }

    #[test]
    fn corpus_datasette_infinity_reals_are_non_finite() {
        let conn = corpus("datasette_fixtures/fixtures.db");
        let p = profile_named(&conn, "infinity", "value");
        assert_eq!((p.reals, p.non_finite), (3, 2));
    }

    #[test]
    fn corpus_home_assistant_context_ids_are_16_byte_blobs() {
        let conn = corpus("home_assistant_recorder/home-assistant_v2.db");
        let p = profile_named(&conn, "states", "context_id_bin");
        assert_eq!(p.rows, 860);
        assert_eq!((p.blobs, p.blob16), (860, 860));
        assert_eq!((p.blob_len_min, p.blob_len_max), (Some(16), Some(16)));
    }

    #[test]
    fn corpus_memos_payload_is_all_json_docs() {
        let conn = corpus("memos/memos_demo.db");
        let p = profile_named(&conn, "memo", "payload");
        assert_eq!(p.texts, 31);
        assert_eq!(p.json_docs, p.texts);
        let p = profile_named(&conn, "memo", "created_ts");
        assert_eq!(p.epoch_s, p.integers);
        let p = profile_named(&conn, "memo", "pinned");
        assert_eq!(p.bool_ints, p.integers);
    }

    #[test]
    fn corpus_anki_tags_without_unicase_is_an_error_and_ids_are_epoch_ms() {
        let conn = corpus("anki_collection/collection.anki2");
        // Without the caller registering `unicase`, SQLite cannot plan a
        // scan of the WITHOUT ROWID `tags` table: an error, not a panic.
        assert!(profile_table(&conn, &live_table(&conn, "tags")).is_err());
        // Note ids are creation times in epoch milliseconds.
        let p = profile_named(&conn, "notes", "id");
        assert!(p.integers > 0);
        assert_eq!(p.epoch_ms, p.integers);
    }

    #[test]
    fn corpus_northwind_order_dates_are_iso() {
        let conn = corpus("northwind/dist/northwind.db");
        let p = profile_named(&conn, "Orders", "OrderDate");
        assert!(p.texts > 0);
        assert_eq!(p.iso_dates + p.iso_timestamps, p.texts);
    }
}
