//! The PostgreSQL side of the digests: per column an expression giving the
//! canonical field bytes, the row order, and the chunk query that both
//! `04_validate.sql` and `pgbridge verify` run.
use super::CHUNK_ROWS;
use crate::ident::quote_ident;
use crate::ir::pg;
use crate::ir::pg::Converter;
use crate::value::wire::Wire;

/// One loaded column, as verify hashes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VCol {
    /// PostgreSQL column name.
    pub name: String,
    /// SQLite column name.
    pub source: String,
    pub converter: Converter,
    pub wire: Wire,
    /// `character(n)`: `c::text` drops the padding.
    pub bpchar: bool,
}

/// How a key column orders rows (the same on both sides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Order {
    /// By integer value.
    Int,
    /// By the text's UTF-8 bytes (`COLLATE "C"`).
    Text,
    /// By the canonical field bytes.
    Bytes,
}

/// A table as verify hashes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VTable {
    /// PostgreSQL table name (unqualified).
    pub name: String,
    /// SQLite table name.
    pub source: String,
    pub columns: Vec<VCol>,
    /// Indexes into `columns` of the ordering key with how each orders;
    /// empty for a keyless table (ordered by the whole row's bytes).
    pub key: Vec<(usize, Order)>,
}

pub fn is_bpchar(pg_type: &str) -> bool {
    let t = pg_type.trim().to_ascii_lowercase();
    t == "bpchar" || t == "character" || t.starts_with("character(") || t.starts_with("char(")
}

fn order_of(w: Wire) -> Order {
    match w {
        Wire::Int2 | Wire::Int4 | Wire::Int8 => Order::Int,
        Wire::Text { .. } => Order::Text,
        _ => Order::Bytes,
    }
}

/// The ordering key: the primary key, else the first unique key whose
/// columns are all NOT NULL, else none.
pub fn choose_key(t: &pg::Table, columns: &[VCol]) -> Vec<(usize, Order)> {
    let not_null = |n: &str| t.columns.iter().any(|c| c.name == n && c.not_null);
    let cands = t.primary_key.iter().chain(
        t.uniques
            .iter()
            .filter(|u| u.columns.iter().all(|c| not_null(c))),
    );
    key_from(cands.map(|k| k.columns.as_slice()), columns)
}

/// The first candidate key (column names, in preference order) whose
/// columns are all among `columns`.
pub fn key_from<'a>(
    cands: impl IntoIterator<Item = &'a [String]>,
    columns: &[VCol],
) -> Vec<(usize, Order)> {
    for k in cands {
        let idx: Option<Vec<(usize, Order)>> = k
            .iter()
            .map(|n| {
                columns
                    .iter()
                    .position(|c| &c.name == n)
                    .map(|i| (i, order_of(columns[i].wire)))
            })
            .collect();
        if let Some(idx) = idx
            && !idx.is_empty()
        {
            return idx;
        }
    }
    Vec::new()
}

/// The table as `04_validate.sql` sees it, from the rules' decisions:
/// none when a column's type is one verify cannot hash. The loaded
/// columns, then the generated ones ([`generated_columns`]).
pub fn from_ir(t: &pg::Table) -> Result<VTable, String> {
    let mut columns = Vec::new();
    for c in t.columns.iter().filter(|c| c.generated.is_none()) {
        columns.push(vcol(c)?);
    }
    columns.extend(generated_columns(t));
    let key = choose_key(t, &columns);
    Ok(VTable {
        name: t.name.clone(),
        source: t.source_name.clone(),
        columns,
        key,
    })
}

/// The generated columns of `t`, in table order: PostgreSQL computes them
/// from the translated expression and SQLite from its own, so verify
/// compares the two like loaded data. One of a type verify cannot hash is
/// left out alone (the columns it is computed from are still compared);
/// the table and its other columns stay in.
pub fn generated_columns(t: &pg::Table) -> Vec<VCol> {
    t.columns
        .iter()
        .filter(|c| c.generated.is_some())
        .filter_map(|c| vcol(c).ok())
        .collect()
}

fn vcol(c: &pg::Column) -> Result<VCol, String> {
    let Some(wire) = Wire::from_sql_type(&c.pg_type) else {
        return Err(format!("column {} of type {}", c.name, c.pg_type));
    };
    Ok(VCol {
        name: c.name.clone(),
        source: c.source_name.clone(),
        converter: c.converter,
        wire,
        bpchar: is_bpchar(&c.pg_type),
    })
}

/// The canonical bytes of column `c` (NULL when the value is NULL).
pub fn value_expr(c: &VCol) -> String {
    let q = format!("t.{}", quote_ident(&c.name));
    match c.wire {
        Wire::Int2 => format!("int2send({q})"),
        Wire::Int4 => format!("int4send({q})"),
        Wire::Int8 => format!("int8send({q})"),
        Wire::Float4 => format!("float4send({q})"),
        Wire::Float8 => format!("float8send({q})"),
        Wire::Numeric { .. } => format!("convert_to(trim_scale({q})::text, 'UTF8')"),
        Wire::Text { .. } => format!("textsend({q}::text)"),
        Wire::Bytea => format!("byteasend({q})"),
        Wire::Bool => format!("boolsend({q})"),
        Wire::Jsonb => format!("jsonb_send({q})"),
        Wire::Json => format!("json_send({q})"),
        Wire::Uuid => format!("uuid_send({q})"),
        Wire::Timestamptz => format!("timestamptz_send({q})"),
        Wire::Timestamp => format!("timestamp_send({q})"),
        Wire::Date => format!("date_send({q})"),
        Wire::Vector { .. } => format!("vector_send({q})"),
        Wire::Float4Array => format!("array_send({q})"),
        // PostGIS's canonical EWKB (little-endian, SRID on the outer
        // geometry): what the converters write.
        Wire::Geometry(_) => format!("ST_AsEWKB({q})"),
    }
}

/// The field: length prefix and bytes, or `\xffffffff` for NULL.
/// Fixed-width types carry a constant prefix; bytea is its own send form.
pub fn field_expr(c: &VCol) -> String {
    let q = format!("t.{}", quote_ident(&c.name));
    let fixed = match c.wire {
        Wire::Int2 => Some(2),
        Wire::Int4 | Wire::Float4 | Wire::Date => Some(4),
        Wire::Int8 | Wire::Float8 | Wire::Timestamptz | Wire::Timestamp => Some(8),
        Wire::Bool => Some(1),
        Wire::Uuid => Some(16),
        _ => None,
    };
    let x = value_expr(c);
    match (fixed, c.wire) {
        (Some(n), _) => format!("coalesce('\\x{n:08x}'::bytea || {x}, '\\xffffffff'::bytea)"),
        (None, Wire::Bytea) => {
            format!("coalesce(int4send(length({q})) || {q}, '\\xffffffff'::bytea)")
        }
        (None, Wire::Text { .. }) => {
            format!("coalesce(int4send(octet_length({q}::text)) || {x}, '\\xffffffff'::bytea)")
        }
        _ => format!("coalesce(int4send(length({x})) || {x}, '\\xffffffff'::bytea)"),
    }
}

/// The row's bytes: its fields, concatenated.
pub fn row_expr(t: &VTable) -> String {
    if t.columns.is_empty() {
        return "''::bytea".into();
    }
    t.columns
        .iter()
        .map(field_expr)
        .collect::<Vec<_>>()
        .join("\n       || ")
}

/// `ORDER BY` terms over `t` (the row bytes for a keyless table).
pub fn order_terms(t: &VTable, row: &str) -> String {
    if t.key.is_empty() {
        return row.to_string();
    }
    key_terms(t).join(", ")
}

/// One ordering term per key column.
fn key_terms(t: &VTable) -> Vec<String> {
    t.key
        .iter()
        .map(|&(i, o)| {
            let c = &t.columns[i];
            match o {
                Order::Int => format!("t.{}", quote_ident(&c.name)),
                Order::Text => format!("t.{}::text COLLATE \"C\"", quote_ident(&c.name)),
                Order::Bytes => field_expr(c),
            }
        })
        .collect()
}

/// The column as the binary result format should send it: a value whose
/// send format is the canonical field (numeric as its normalised text,
/// text-like types as `text`, so `character(n)` loses its padding).
pub fn send_expr(c: &VCol) -> String {
    let q = format!("t.{}", quote_ident(&c.name));
    match c.wire {
        Wire::Numeric { .. } => format!("trim_scale({q})::text"),
        Wire::Text { .. } => format!("{q}::text"),
        _ => q,
    }
}

/// `SELECT … ORDER BY key`: fetched in binary format, each row's fields
/// (length-prefixed, `-1` for NULL) are its canonical bytes, in the order
/// the digests use. `pgbridge verify` hashes these rows itself.
/// `filter` is empty or a `WHERE` clause over `t` (a key range).
pub fn select_sql(t: &VTable, from: &str, filter: &str) -> String {
    format!(
        "{} ORDER BY {}",
        heap_select_sql(t, from, filter),
        order_terms(t, &row_expr(t))
    )
}

/// [`select_sql`] without the `ORDER BY`: the rows in the order the scan
/// meets them, which for a table loaded in key order is key order (the
/// reader checks it row by row).
pub fn heap_select_sql(t: &VTable, from: &str, filter: &str) -> String {
    let cols: Vec<String> = t.columns.iter().map(send_expr).collect();
    format!("SELECT {} FROM {from} AS t{filter}", cols.join(", "))
}

/// The key columns of `t`, quoted as `t."k"`, when every one orders as an
/// integer: such a key splits the table into ranges by value.
pub fn int_keys(t: &VTable) -> Option<Vec<String>> {
    if t.key.is_empty() {
        return None;
    }
    t.key
        .iter()
        .map(|&(i, o)| (o == Order::Int).then(|| format!("t.{}", quote_ident(&t.columns[i].name))))
        .collect()
}

/// `(a, b)`: a row value of the given terms.
pub fn row_value<T: std::fmt::Display>(terms: &[T]) -> String {
    let parts: Vec<String> = terms.iter().map(ToString::to_string).collect();
    format!("({})", parts.join(", "))
}

/// `($1::int8, $2::int8, …)`: `n` bigint parameters as a row value.
pub fn int8_params(n: usize) -> String {
    row_value(&(1..=n).map(|i| format!("${i}::int8")).collect::<Vec<_>>())
}

/// One row per chunk of 10,000 rows in key order: `chunk`, `rows`,
/// `digest` (SHA-256 of the rows' bytes) and `dups` (rows equal to the
/// previous one; keyless tables only). `from` is the table reference.
pub fn chunks_sql(t: &VTable, from: &str) -> String {
    let row = row_expr(t);
    if let [(i, Order::Int)] = t.key[..] {
        // One integer key: chunk bounds from the key alone (an index
        // scan), then each chunk as a key range (no sort of the rows).
        let k = format!("t.{}", quote_ident(&t.columns[i].name));
        return format!(
            "SELECT b.chunk, x.rows, x.digest, 0::int8 AS dups\n\
             FROM (SELECT (n - 1) / {CHUNK_ROWS} AS chunk, lo,\n\
             \x20            coalesce(lead(lo) OVER (ORDER BY n) - 1, 9223372036854775807) AS hi\n\
             \x20     FROM (SELECT {k}::int8 AS lo, row_number() OVER (ORDER BY {k}) AS n\n\
             \x20           FROM {from} AS t) AS k\n\
             \x20     WHERE n % {CHUNK_ROWS} = 1) AS b\n\
             CROSS JOIN LATERAL (\n\
             \x20 SELECT count(*)::int8 AS rows,\n\
             \x20        sha256(string_agg({row}, ''::bytea ORDER BY {k})) AS digest\n\
             \x20 FROM {from} AS t WHERE {k} >= b.lo AND {k} <= b.hi) AS x\n\
             ORDER BY 1"
        );
    }
    let (okeys, order, dup) = if t.key.is_empty() {
        (
            String::new(),
            "b".to_string(),
            "coalesce(b = lag(b) OVER w, false)",
        )
    } else {
        let parts = key_terms(t);
        let okeys: String = parts
            .iter()
            .enumerate()
            .map(|(j, p)| format!(",\n                  {p} AS o{j}"))
            .collect();
        let order = (0..parts.len())
            .map(|j| format!("o{j}"))
            .collect::<Vec<_>>()
            .join(", ");
        (okeys, order, "false")
    };
    format!(
        "SELECT n / {CHUNK_ROWS} AS chunk, count(*)::int8 AS rows,\n\
         \x20      sha256(string_agg(b, ''::bytea ORDER BY n)) AS digest,\n\
         \x20      count(*) FILTER (WHERE dup)::int8 AS dups\n\
         FROM (SELECT row_number() OVER w - 1 AS n, b, {dup} AS dup\n\
         \x20     FROM (SELECT {row} AS b{okeys}\n\
         \x20           FROM {from} AS t) AS s\n\
         \x20     WINDOW w AS (ORDER BY {order})) AS r\n\
         GROUP BY 1 ORDER BY 1"
    )
}

/// Rows `n` in `[$1, $2)` of the key order: `n`, the key as text, each
/// column's field bytes, then each column as text.
pub fn rows_sql(t: &VTable, from: &str) -> String {
    let row = row_expr(t);
    let order = order_terms(t, &row);
    let key_text = if t.key.is_empty() {
        "''".to_string()
    } else {
        format!(
            "concat_ws(', ', {})",
            t.key
                .iter()
                .map(|&(i, _)| format!("t.{}::text", quote_ident(&t.columns[i].name)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut cols = vec![format!("{key_text} AS k")];
    for (i, c) in t.columns.iter().enumerate() {
        cols.push(format!("{} AS f{i}", field_expr(c)));
    }
    for (i, c) in t.columns.iter().enumerate() {
        cols.push(format!("t.{}::text AS v{i}", quote_ident(&c.name)));
    }
    let outer: Vec<String> = (0..t.columns.len())
        .map(|i| format!("f{i}"))
        .chain((0..t.columns.len()).map(|i| format!("v{i}")))
        .collect();
    format!(
        "SELECT n, k{sep}{outer} FROM (SELECT row_number() OVER (ORDER BY {order}) - 1 AS n, {cols} FROM {from} AS t) AS s \
         WHERE n >= $1 AND n < $2 ORDER BY n",
        sep = if outer.is_empty() { "" } else { ", " },
        outer = outer.join(", "),
        cols = cols.join(", "),
    )
}

/// The statement `04_validate.sql` runs per table: one line in the
/// format `pgbridge verify` prints.
pub fn validate_sql(t: &VTable, from: &str) -> String {
    format!(
        "SELECT 'digest ' || {name} || ' rows=' || coalesce(sum(rows), 0) || ' chunks=' || count(*)\n\
         \x20      || ' sha256=' || encode(sha256(coalesce(string_agg(digest, ''::bytea ORDER BY chunk), ''::bytea)), 'hex')\n\
         FROM (\n{chunks}\n) AS c;",
        name = crate::ident::quote_literal(&crate::ident::escape_text(&t.name)),
        chunks = chunks_sql(t, from)
    )
}
