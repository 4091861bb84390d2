//! The lexical classes of SQLite values: which texts are JSON, UUIDs, ISO
//! dates and timestamps, booleans, SQLite integer and real literals, and
//! which blobs are float32 vectors. One definition each, shared by the
//! profile that counts them (`source::profile`, whose module doc gives the
//! exact meaning of every class) and the converters that accept them
//! ([`super::convert`]), so a converter accepts exactly what the profile
//! counted.

/// Non-empty, a multiple of 4 bytes, and every little-endian float32 finite
/// (exponent bits not all ones).
pub(crate) fn is_f32_vector(b: &[u8]) -> bool {
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    b.chunks_exact(4).all(|c| {
        let bits = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        bits & 0x7f80_0000 != 0x7f80_0000
    })
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonKind {
    /// An object or array.
    Doc,
    /// Any other JSON value.
    Scalar,
    No,
}

/// JSON whitespace (RFC 8259).
#[inline]
fn is_json_space(c: &u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether the whole text is one JSON value, exactly as `json_values`
/// counts it (for `inspect`'s example rowids).
pub(crate) fn is_json_value(s: &str) -> bool {
    json_kind(s) != JsonKind::No
}

pub(crate) fn json_kind(s: &str) -> JsonKind {
    let b = s.as_bytes();
    let Some(start) = b.iter().position(|c| !is_json_space(c)) else {
        return JsonKind::No;
    };
    let end = b
        .iter()
        .rposition(|c| !is_json_space(c))
        .map_or(start, |e| e + 1);
    let t = &b[start..end];
    // Numbers and literals are checked by hand: the common non-JSON text
    // that starts with a digit (dates, codes) then costs no parser error
    // (serde_json allocates one per failure).
    let doc = match (t[0], t[t.len() - 1]) {
        (b'{', b'}') | (b'[', b']') => true,
        (b'"', b'"') if t.len() >= 2 => false,
        (b'-' | b'0'..=b'9', _) => {
            return if is_json_number(t) {
                JsonKind::Scalar
            } else {
                JsonKind::No
            };
        }
        _ if t == b"true" || t == b"false" || t == b"null" => return JsonKind::Scalar,
        _ => return JsonKind::No,
    };
    match serde_json::from_str::<serde::de::IgnoredAny>(s) {
        Ok(_) if doc => JsonKind::Doc,
        Ok(_) => JsonKind::Scalar,
        Err(_) => JsonKind::No,
    }
}

/// RFC 8259 number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(t: &[u8]) -> bool {
    let mut i = usize::from(t.first() == Some(&b'-'));
    let run = |i: usize| t[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    match t.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += run(i),
        _ => return false,
    }
    if t.get(i) == Some(&b'.') {
        let n = run(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = run(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == t.len()
}

/// Canonical 8-4-4-4-12 hex form, any case.
pub(crate) fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b[8] == b'-'
        && b[13] == b'-'
        && b[18] == b'-'
        && b[23] == b'-'
        && [&b[0..8], &b[9..13], &b[14..18], &b[19..23], &b[24..36]]
            .iter()
            .all(|g| g.iter().all(u8::is_ascii_hexdigit))
}

pub(crate) fn is_bool_text(b: &[u8]) -> bool {
    match b.len() {
        1 => matches!(b[0] | 0x20, b't' | b'f'),
        4 => b.eq_ignore_ascii_case(b"true"),
        5 => b.eq_ignore_ascii_case(b"false"),
        _ => false,
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Iso {
    Date,
    Timestamp,
    TimestampTz,
}

/// Exactly `n` ASCII digits at `b[at..at + n]`, as a number.
#[inline]
pub(crate) fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in part {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Hand parser for `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` and that
/// followed by `Z` / `±HH:MM` / `±HHMM`, with range checks (see module doc).
pub(crate) fn iso_kind(b: &[u8]) -> Option<Iso> {
    if b.len() < 10 || b.len() > 64 || !b[0].is_ascii_digit() || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if b.len() == 10 {
        return Some(Iso::Date);
    }
    if !matches!(b[10], b' ' | b'T') || b.get(13) != Some(&b':') {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    if hour > 23 || minute > 59 {
        return None;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let second = digits(b, i + 1, 2)?;
        if second > 60 {
            return None;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    let zone = &b[i..];
    match zone {
        [] => Some(Iso::Timestamp),
        [b'Z'] => Some(Iso::TimestampTz),
        [b'+' | b'-', ..] => {
            let (zh, zm) = match zone.len() {
                6 if zone[3] == b':' => (digits(zone, 1, 2)?, digits(zone, 4, 2)?),
                5 => (digits(zone, 1, 2)?, digits(zone, 3, 2)?),
                _ => return None,
            };
            (zh <= 15 && zm <= 59).then_some(Iso::TimestampTz)
        }
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Numeric {
    /// An integer literal that fits in i64 (also a real).
    Int,
    /// A real literal (or an integer literal too large for i64).
    Real,
    No,
}

/// SQLite's whitespace (`sqlite3Isspace`).
#[inline]
fn is_sqlite_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Whether text is an integer / real literal as SQLite's numeric affinity
/// would convert it (see module doc).
pub(crate) fn numeric_text(b: &[u8]) -> Numeric {
    let start = b.iter().position(|&c| !is_sqlite_space(c));
    let Some(start) = start else {
        return Numeric::No;
    };
    let end = b
        .iter()
        .rposition(|&c| !is_sqlite_space(c))
        .map_or(start, |e| e + 1);
    let t = &b[start..end];
    if !matches!(t.first(), Some(b'+' | b'-' | b'.' | b'0'..=b'9')) {
        return Numeric::No;
    }
    let mut i = 0;
    let negative = t[0] == b'-';
    if matches!(t[0], b'+' | b'-') {
        i = 1;
    }
    let int_start = i;
    while i < t.len() && t[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    let mut is_int = true;
    if i < t.len() && t[i] == b'.' {
        is_int = false;
        i += 1;
        let frac_start = i;
        while i < t.len() && t[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - frac_start;
    }
    if int_digits + frac_digits == 0 {
        return Numeric::No;
    }
    let mut has_exp = false;
    if i < t.len() && matches!(t[i], b'e' | b'E') {
        is_int = false;
        has_exp = true;
        i += 1;
        if i < t.len() && matches!(t[i], b'+' | b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < t.len() && t[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return Numeric::No;
        }
    }
    if i != t.len() {
        return Numeric::No;
    }
    if is_int && fits_i64(&t[int_start..], negative) {
        return Numeric::Int;
    }
    // Only an exponent or a very long mantissa can overflow f64.
    if has_exp || int_digits > 300 {
        // `t` is ASCII by construction.
        let finite = std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(f64::is_finite);
        if !finite {
            return Numeric::No;
        }
    }
    Numeric::Real
}

/// Decimal digits `d` (with sign given separately) fit in an i64.
fn fits_i64(d: &[u8], negative: bool) -> bool {
    // Accumulate negatively so i64::MIN fits.
    let mut v: i64 = 0;
    for &c in d {
        let digit = i64::from(c - b'0');
        v = match v.checked_mul(10).and_then(|x| x.checked_sub(digit)) {
            Some(x) => x,
            None => return false,
        };
    }
    negative || v != i64::MIN
}
