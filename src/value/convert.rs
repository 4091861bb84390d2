//! The Rust half of the converters: one SQLite value in, one typed value
//! out, or the reason it cannot convert.
//!
//! **Input**: a [`Converter`] (chosen per column by the rules) and a
//! borrowed SQLite value. **Output**: a [`Value`] — the converter's
//! canonical PostgreSQL value (`bigint`, `double precision`, `numeric`,
//! `text`, `bytea`, `boolean`, `jsonb`, `uuid`, `timestamptz`, `date`,
//! `vector`/`real[]`) — or a [`ConvError`] whose reason names what was found.
//!
//! The SQL twin of every converter lives in `templates/02_load.sql.j2`
//! (psql + sqlite3 CLI); `tests/load_twins.rs` holds the two to identical
//! results. The exact rules, per converter (NULL is NULL everywhere):
//!
//! | converter | accepts | result |
//! |---|---|---|
//! | `integer` | integer; text in SQLite's integer literal syntax (spaces, sign) fitting i64; a real with an integral value in i64 range | bigint |
//! | `real` | real; integer (rounded to nearest double); text in SQLite's numeric literal syntax, finite | double |
//! | `numeric` | integer; real (its shortest round-trip decimal, ±Infinity kept); numeric-literal text, exactly as written | numeric |
//! | `text` | valid UTF-8 text without NUL bytes | text |
//! | `bytes` | blob; text (its raw bytes); integer and real as the bytes of their `any-text` form | bytea |
//! | `boolean` | integer 0/1; text `true`/`false`/`t`/`f` in any case | boolean |
//! | `json` | text or blob holding one JSON value (RFC 8259), without `\u0000` | jsonb |
//! | `uuid-text` | text `8-4-4-4-12` hex, any case | uuid |
//! | `uuid-blob` | 16-byte blob | uuid |
//! | `iso-timestamp` | text `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM[:SS[.f]]`, optionally `Z`/`±HH:MM`/`±HHMM`; zone-less is UTC; fractions rounded to µs, ties to even | timestamptz |
//! | `iso-date` | text `YYYY-MM-DD` | date |
//! | `epoch-seconds` / `-millis` / `-micros` | integer | timestamptz |
//! | `julian-day` | real or integer: SQLite's own rounding to the millisecond | timestamptz |
//! | `float32-vector` / `float32-array` | blob of little-endian float32s (finite for vectors) | vector / real[] |
//! | `geopackage-geometry` | GeoPackage binary geometry (`GP` header, ISO WKB) | geometry (EWKB) |
//! | `spatialite-geometry` | SpatiaLite geometry blob (also compressed, TinyPoint) | geometry (EWKB) |
//! | `any-text` | text as `text`; integer as decimal; real as PostgreSQL prints a double (shortest round trip); blob that is valid UTF-8 without NUL | text |
//!
//! Invariants: nothing is ever altered silently — a value outside these
//! rules is an error naming what was found, never a best guess.
use crate::ir::pg::Converter;
use rusqlite::types::ValueRef;
use std::fmt::Write;

/// A converted value, borrowing from the SQLite row where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Float(f64),
    /// An exact decimal literal (`-12.50`, `1e+300`, `Infinity`).
    Numeric(std::borrow::Cow<'a, str>),
    Text(std::borrow::Cow<'a, str>),
    Bytes(std::borrow::Cow<'a, [u8]>),
    Bool(bool),
    Json(&'a str),
    Uuid([u8; 16]),
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    Micros(i64),
    /// Days since 1970-01-01.
    Date(i32),
    /// Little-endian float32 values, as stored.
    Floats(&'a [u8]),
}

/// Why a value could not convert; `reason` reads after "cannot convert: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvError {
    pub reason: String,
}

impl ConvError {
    pub fn new(reason: impl Into<String>) -> ConvError {
        ConvError {
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for ConvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// SQLite's storage class name of a value, for messages.
pub fn class(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "null",
        ValueRef::Integer(_) => "integer",
        ValueRef::Real(_) => "real",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "blob",
    }
}

fn unexpected(conv: Converter, v: ValueRef<'_>) -> ConvError {
    ConvError::new(format!(
        "{} value where the {} converter expects {}",
        class(v),
        conv.name(),
        expects(conv)
    ))
}

/// What a converter accepts, in words (for error messages and docs).
pub fn expects(conv: Converter) -> &'static str {
    match conv {
        Converter::Integer => "an integer",
        Converter::Real => "a number",
        Converter::Numeric => "a number",
        Converter::Text => "UTF-8 text",
        Converter::Bytes => "any value",
        Converter::Boolean => "0/1 or true/false",
        Converter::Json => "JSON text",
        Converter::UuidText => "UUID text",
        Converter::UuidBlob => "a 16-byte blob",
        Converter::IsoTimestamp => "ISO-8601 timestamp text",
        Converter::IsoDate => "ISO-8601 date text",
        Converter::EpochSeconds | Converter::EpochMillis | Converter::EpochMicros => {
            "an integer epoch"
        }
        Converter::JulianDay => "a Julian day number",
        Converter::Float32Vector | Converter::Float32Array => "a float32 blob",
        Converter::AnyText => "any value but binary",
        Converter::GeopackageGeometry => "GeoPackage geometry",
        Converter::SpatialiteGeometry => "SpatiaLite geometry",
    }
}

/// Convert one SQLite value with `conv`.
#[inline]
pub fn convert(conv: Converter, v: ValueRef<'_>) -> Result<Value<'_>, ConvError> {
    if let ValueRef::Null = v {
        return Ok(Value::Null);
    }
    match conv {
        Converter::Integer => to_integer(v).ok_or_else(|| unexpected(conv, v)),
        Converter::Real => match v {
            ValueRef::Real(r) => Ok(Value::Float(r)),
            ValueRef::Integer(i) => Ok(Value::Float(i as f64)),
            ValueRef::Text(b) => real_text(b)
                .map(Value::Float)
                .ok_or_else(|| unexpected(conv, v)),
            _ => Err(unexpected(conv, v)),
        },
        Converter::Numeric => match v {
            ValueRef::Integer(i) => Ok(Value::Numeric(i.to_string().into())),
            ValueRef::Real(r) => Ok(Value::Numeric(float_decimal(r).into())),
            ValueRef::Text(b) => match numeric_literal(b) {
                Some(s) => Ok(Value::Numeric(s.into())),
                None => Err(unexpected(conv, v)),
            },
            _ => Err(unexpected(conv, v)),
        },
        Converter::Text => match v {
            ValueRef::Text(b) => utf8_text(b).map(|s| Value::Text(s.into())),
            _ => Err(unexpected(conv, v)),
        },
        Converter::AnyText => match v {
            ValueRef::Text(b) => utf8_text(b).map(|s| Value::Text(s.into())),
            ValueRef::Integer(i) => Ok(Value::Text(i.to_string().into())),
            ValueRef::Real(r) => Ok(Value::Text(float_text(r).into())),
            ValueRef::Blob(b) => utf8_text(b)
                .map(|s| Value::Text(s.into()))
                .map_err(|e| ConvError::new(format!("blob that is not text: {e}"))),
            ValueRef::Null => Ok(Value::Null),
        },
        // Every value has bytes: a column mixing blobs with text or
        // numbers keeps each one exactly.
        Converter::Bytes => match v {
            ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Value::Bytes(b.into())),
            ValueRef::Integer(i) => Ok(Value::Bytes(i.to_string().into_bytes().into())),
            ValueRef::Real(r) => Ok(Value::Bytes(float_text(r).into_bytes().into())),
            ValueRef::Null => Ok(Value::Null),
        },
        Converter::Boolean => match v {
            ValueRef::Integer(0) => Ok(Value::Bool(false)),
            ValueRef::Integer(1) => Ok(Value::Bool(true)),
            ValueRef::Text(b) if crate::value::lexical::is_bool_text(b) => {
                Ok(Value::Bool(matches!(b[0] | 0x20, b't')))
            }
            _ => Err(unexpected(conv, v)),
        },
        Converter::Json => match v {
            ValueRef::Text(b) | ValueRef::Blob(b) => json(b),
            _ => Err(unexpected(conv, v)),
        },
        Converter::UuidText => match v {
            ValueRef::Text(b) if crate::value::lexical::is_uuid(b) => Ok(Value::Uuid(uuid(b))),
            _ => Err(unexpected(conv, v)),
        },
        Converter::UuidBlob => match v {
            ValueRef::Blob(b) if b.len() == 16 => {
                let mut u = [0u8; 16];
                u.copy_from_slice(b);
                Ok(Value::Uuid(u))
            }
            ValueRef::Blob(b) => Err(ConvError::new(format!(
                "blob of {} bytes where the uuid-blob converter expects 16",
                b.len()
            ))),
            _ => Err(unexpected(conv, v)),
        },
        Converter::IsoTimestamp => match v {
            ValueRef::Text(b) => iso(b)
                .map(|t| Value::Micros(t.micros))
                .ok_or_else(|| unexpected(conv, v)),
            _ => Err(unexpected(conv, v)),
        },
        Converter::IsoDate => match v {
            ValueRef::Text(b) if b.len() == 10 => iso(b)
                .map(|t| Value::Date(t.micros.div_euclid(MICROS_PER_DAY) as i32))
                .ok_or_else(|| unexpected(conv, v)),
            _ => Err(unexpected(conv, v)),
        },
        Converter::EpochSeconds | Converter::EpochMillis | Converter::EpochMicros => {
            let ValueRef::Integer(i) = v else {
                return Err(unexpected(conv, v));
            };
            let scale = match conv {
                Converter::EpochSeconds => 1_000_000,
                Converter::EpochMillis => 1_000,
                _ => 1,
            };
            i.checked_mul(scale)
                .filter(|m| (MIN_MICROS..=MAX_MICROS).contains(m))
                .map(Value::Micros)
                .ok_or_else(|| {
                    ConvError::new(format!(
                        "{i} is outside PostgreSQL's timestamp range as {}",
                        conv.name()
                    ))
                })
        }
        Converter::JulianDay => {
            let jd = match v {
                ValueRef::Real(r) => r,
                ValueRef::Integer(i) => i as f64,
                _ => return Err(unexpected(conv, v)),
            };
            julian_micros(jd).map(Value::Micros).ok_or_else(|| {
                ConvError::new(format!("{} is not a Julian day in range", float_text(jd)))
            })
        }
        Converter::GeopackageGeometry | Converter::SpatialiteGeometry => match v {
            ValueRef::Blob(b) => {
                let ewkb = if conv == Converter::GeopackageGeometry {
                    super::geometry::from_geopackage(b)
                } else {
                    super::geometry::from_spatialite(b)
                };
                ewkb.map(|e| Value::Bytes(e.into())).map_err(ConvError::new)
            }
            _ => Err(unexpected(conv, v)),
        },
        Converter::Float32Vector | Converter::Float32Array => match v {
            ValueRef::Blob(b) if !b.is_empty() && b.len().is_multiple_of(4) => {
                if conv == Converter::Float32Vector && !crate::value::lexical::is_f32_vector(b) {
                    return Err(ConvError::new(
                        "float32 blob with NaN or infinite elements (vector allows finite values only)",
                    ));
                }
                Ok(Value::Floats(b))
            }
            ValueRef::Blob(b) => Err(ConvError::new(format!(
                "blob of {} bytes is not a whole number of float32s",
                b.len()
            ))),
            _ => Err(unexpected(conv, v)),
        },
    }
}

fn to_integer(v: ValueRef<'_>) -> Option<Value<'static>> {
    match v {
        ValueRef::Integer(i) => Some(Value::Int(i)),
        ValueRef::Real(r) => {
            // 2^63 is exact as a double; the range is [-2^63, 2^63).
            (r.is_finite()
                && r.trunc() == r
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r))
            .then_some(Value::Int(r as i64))
        }
        ValueRef::Text(b) => {
            if crate::value::lexical::numeric_text(b) != crate::value::lexical::Numeric::Int {
                return None;
            }
            trim_sqlite_space(b).and_then(|t| {
                std::str::from_utf8(t)
                    .ok()?
                    .trim_start_matches('+')
                    .parse::<i64>()
                    .ok()
                    .map(Value::Int)
            })
        }
        _ => None,
    }
}

fn trim_sqlite_space(b: &[u8]) -> Option<&[u8]> {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = b.iter().position(|c| !is_space(c))?;
    let end = b.iter().rposition(|c| !is_space(c))? + 1;
    Some(&b[start..end])
}

/// A numeric literal (SQLite syntax) as written, without the surrounding
/// whitespace and a leading `+`.
fn numeric_literal(b: &[u8]) -> Option<String> {
    use crate::value::lexical::{Numeric, numeric_text};
    if numeric_text(b) == Numeric::No {
        // numeric_text rejects literals that overflow a double; numeric
        // holds them exactly, so accept those by shape.
        let t = trim_sqlite_space(b)?;
        let s = std::str::from_utf8(t).ok()?;
        if !is_decimal_literal(s) {
            return None;
        }
        return Some(s.trim_start_matches('+').to_string());
    }
    let t = trim_sqlite_space(b)?;
    let s = std::str::from_utf8(t).ok()?;
    Some(s.strip_prefix('+').unwrap_or(s).to_string())
}

/// `[+-]?(d+[.d*]|.d+)([eE][+-]?d+)?`
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    let mut n = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn real_text(b: &[u8]) -> Option<f64> {
    use crate::value::lexical::{Numeric, numeric_text};
    if numeric_text(b) == Numeric::No {
        return None;
    }
    let t = trim_sqlite_space(b)?;
    let s = std::str::from_utf8(t).ok()?;
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn utf8_text(b: &[u8]) -> Result<&str, ConvError> {
    let s = std::str::from_utf8(b).map_err(|e| {
        ConvError::new(format!(
            "invalid UTF-8 at byte {} (PostgreSQL text cannot hold it)",
            e.valid_up_to()
        ))
    })?;
    if let Some(at) = b.iter().position(|&c| c == 0) {
        return Err(ConvError::new(format!(
            "NUL byte at byte {at} (PostgreSQL text cannot hold it)"
        )));
    }
    Ok(s)
}

fn json(b: &[u8]) -> Result<Value<'_>, ConvError> {
    let s = utf8_text(b)?;
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(s) {
        return Err(ConvError::new(format!("not JSON: {e}")));
    }
    if has_json_nul_escape(s) {
        return Err(ConvError::new(
            "JSON string holds \\u0000, which jsonb cannot store",
        ));
    }
    Ok(Value::Json(s))
}

/// `\u0000` as an escape (not as `\\u0000`, an escaped backslash).
fn has_json_nul_escape(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(|&c| c == b'\\') {
        let at = i + p;
        match b.get(at + 1) {
            Some(b'u') if b.get(at + 2..at + 6) == Some(b"0000") => return true,
            Some(_) => i = at + 2,
            None => return false,
        }
    }
    false
}

fn hexval(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// A canonical UUID text (checked by the caller) as 16 bytes.
fn uuid(b: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut n = 0;
    let mut hi = None;
    for &c in b {
        if c == b'-' {
            continue;
        }
        match hi.take() {
            None => hi = Some(hexval(c)),
            Some(h) => {
                out[n] = (h << 4) | hexval(c);
                n += 1;
            }
        }
    }
    out
}

pub const MICROS_PER_DAY: i64 = 86_400_000_000;
/// PostgreSQL's timestamp range from 4714-11-24 BC (its upper end, 294276 AD, lies beyond i64 Unix microseconds).
pub const MIN_MICROS: i64 = -210_866_803_200_000_000;
pub const MAX_MICROS: i64 = i64::MAX;

/// The civil date (year, month, day) of `days` since 1970-01-01; the
/// inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A parsed ISO-8601 text: its class and its instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso {
    pub kind: crate::value::lexical::Iso,
    /// Microseconds since the Unix epoch, UTC (zone-less read as UTC).
    pub micros: i64,
}

/// Parse the ISO forms the profile counts (see `source::profile`).
pub fn iso(b: &[u8]) -> Option<Iso> {
    let kind = crate::value::lexical::iso_kind(b)?;
    let d = |at: usize, n: usize| crate::value::lexical::digits(b, at, n).map(i64::from);
    let days = days_from_civil(d(0, 4)?, d(5, 2)? as u32, d(8, 2)? as u32);
    let mut micros = days * MICROS_PER_DAY;
    if b.len() == 10 {
        return Some(Iso { kind, micros });
    }
    micros += (d(11, 2)? * 3600 + d(14, 2)? * 60) * 1_000_000;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        micros += d(i + 1, 2)? * 1_000_000;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i;
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            // PostgreSQL: rint(strtod(".ddd") * 1e6), ties to even.
            let frac: f64 = std::str::from_utf8(&b[start..i]).ok()?.parse().ok()?;
            micros += (frac * 1e6).round_ties_even() as i64;
        }
    }
    let zone = &b[i..];
    if let [sign @ (b'+' | b'-'), ..] = zone {
        let zd = |at: usize| crate::value::lexical::digits(zone, at, 2).map(i64::from);
        let (zh, zm) = if zone.len() == 6 {
            (zd(1)?, zd(4)?)
        } else {
            (zd(1)?, zd(3)?)
        };
        let offset = (zh * 3600 + zm * 60) * 1_000_000;
        micros -= if *sign == b'+' { offset } else { -offset };
    }
    Some(Iso { kind, micros })
}

/// SQLite's Julian day → Unix microseconds, rounded to the millisecond the
/// way SQLite's date functions do: `(i64)(jd * 86400000.0 + 0.5)`.
pub fn julian_micros(jd: f64) -> Option<i64> {
    if !jd.is_finite() || !(0.0..=5_373_484.5).contains(&jd) {
        return None;
    }
    let ms = (jd * 86_400_000.0 + 0.5) as i64;
    Some((ms - 210_866_760_000_000) * 1000)
}

/// The shortest decimal that reads back as `r`, as PostgreSQL's `float8out`
/// prints it (`extra_float_digits` ≥ 1): exponent form when the decimal
/// exponent is below -4 or at least 15, `Infinity`/`-Infinity`/`NaN`.
pub fn float_text(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if r == 0.0 {
        return if r.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` is the shortest round-trip form: `d[.ddd]e<exp>`.
    let e = format!("{r:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if !(-4..15).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// `r` as an exact decimal for numeric: the shortest round-trip digits
/// (the value PostgreSQL gets from `r::text::numeric`).
pub fn float_decimal(r: f64) -> String {
    float_text(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::types::ValueRef as V;

    fn ok(conv: Converter, v: V<'_>) -> Value<'_> {
        convert(conv, v).unwrap()
    }

    #[test]
    fn integer_accepts_integral_reals_and_integer_literal_texts_only() {
        assert_eq!(ok(Converter::Integer, V::Integer(-7)), Value::Int(-7));
        assert_eq!(ok(Converter::Integer, V::Real(3.0)), Value::Int(3));
        assert_eq!(ok(Converter::Integer, V::Text(b" +42\n")), Value::Int(42));
        assert!(convert(Converter::Integer, V::Real(3.5)).is_err());
        assert!(convert(Converter::Integer, V::Real(9.3e18)).is_err());
        assert!(convert(Converter::Integer, V::Text(b"")).is_err());
        assert!(convert(Converter::Integer, V::Text(b"1e3")).is_err());
        assert!(convert(Converter::Integer, V::Text(b"9223372036854775808")).is_err());
        let e = convert(Converter::Integer, V::Text(b"abc")).unwrap_err();
        assert_eq!(
            e.reason,
            "text value where the integer converter expects an integer"
        );
    }

    #[test]
    fn float_text_matches_postgres_float8out_shapes() {
        for (v, want) in [
            (0.1 + 0.2, "0.30000000000000004"),
            (1e300, "1e+300"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            (5e-324, "5e-324"),
            (1.5e-7, "1.5e-07"),
            (f64::INFINITY, "Infinity"),
        ] {
            assert_eq!(float_text(v), want, "{v:e}");
        }
    }

    #[test]
    fn iso_timestamps_read_zone_less_as_utc_and_apply_offsets() {
        let t = |s: &str| iso(s.as_bytes()).map(|i| i.micros);
        assert_eq!(t("1970-01-01"), Some(0));
        assert_eq!(t("1970-01-02 00:00:01.5"), Some(86_401_500_000));
        assert_eq!(t("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(t("1970-01-01T00:00:00-0130"), Some(5_400_000_000));
        assert_eq!(t("2000-03-01 00:00"), Some(951_868_800_000_000));
        assert_eq!(t("2020-02-30"), None);
    }

    #[test]
    fn json_rejects_nul_escapes_but_not_escaped_backslashes() {
        assert!(convert(Converter::Json, V::Text(br#"{"a":"\u0000"}"#)).is_err());
        assert!(convert(Converter::Json, V::Text(br#"{"a":"\\u0000"}"#)).is_ok());
        assert!(convert(Converter::Json, V::Text(b"{bad")).is_err());
        assert!(convert(Converter::Json, V::Blob(b"[1,2]")).is_ok());
    }

    #[test]
    fn text_refuses_nul_bytes_and_invalid_utf8_naming_the_byte() {
        let e = convert(Converter::Text, V::Text(b"ab\0c")).unwrap_err();
        assert!(e.reason.contains("NUL byte at byte 2"), "{e}");
        let e = convert(Converter::Text, V::Text(b"a\xffb")).unwrap_err();
        assert!(e.reason.contains("invalid UTF-8 at byte 1"), "{e}");
        assert!(convert(Converter::Bytes, V::Text(b"a\xffb")).is_ok());
    }

    #[test]
    fn bytes_keep_every_value_numbers_as_their_text() {
        assert_eq!(
            ok(Converter::Bytes, V::Integer(-42)),
            Value::Bytes(b"-42".to_vec().into())
        );
        assert_eq!(
            ok(Converter::Bytes, V::Real(0.1 + 0.2)),
            Value::Bytes(b"0.30000000000000004".to_vec().into())
        );
        assert_eq!(
            ok(Converter::Bytes, V::Blob(b"\x00\xff")),
            Value::Bytes(b"\x00\xff".to_vec().into())
        );
    }

    #[test]
    fn uuid_text_any_case_becomes_bytes() {
        let Value::Uuid(u) = ok(
            Converter::UuidText,
            V::Text(b"0123ABCD-0000-4000-8000-00000000000f"),
        ) else {
            panic!()
        };
        assert_eq!(u[..4], [0x01, 0x23, 0xab, 0xcd]);
        assert_eq!(u[15], 0x0f);
    }

    #[test]
    fn epochs_scale_and_check_range() {
        assert_eq!(
            ok(Converter::EpochMillis, V::Integer(1_500)),
            Value::Micros(1_500_000)
        );
        assert!(convert(Converter::EpochSeconds, V::Integer(i64::MAX)).is_err());
        assert!(convert(Converter::EpochSeconds, V::Text(b"1700000000")).is_err());
    }

    #[test]
    fn julian_day_rounds_like_sqlite_to_the_millisecond() {
        assert_eq!(julian_micros(2_440_587.5), Some(0));
        assert_eq!(julian_micros(2_440_588.0), Some(43_200_000_000));
    }
}
