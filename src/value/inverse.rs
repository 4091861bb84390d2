//! The inverse of every converter: one PostgreSQL value back into the
//! SQLite value the application would have written, or the named reason it
//! cannot be (for rollback after a cutover).
//!
//! **Input**: a [`Converter`], the value as PostgreSQL's text output (what
//! the `postgres` crate reads as `String`, `None` for NULL) in a session set
//! with [`SESSION`], and the column's [`Shape`] — the form the application
//! writes, learned from the column's SQLite values ([`Shape::learn`]).
//! **Output**: a `rusqlite` value, or [`Inexact`]: the [`Loss`] that stops
//! an exact restore and, where one exists, the nearest value.
//!
//! "Exact" means: the result has the column's shape and converts forward
//! ([`super::convert::convert`]) to the same PostgreSQL value. A SQLite value
//! in the column's shape therefore comes back byte for byte; one outside it
//! (` +42` in an integer-text column, `23:59:60` in a timestamp column)
//! comes back in the shape, as the same PostgreSQL value.
//!
//! Invariants: no guess — a value the shape cannot hold, or a shape the
//! column's values leave open, is an [`Inexact`], never a silent choice.
use super::convert::{MICROS_PER_DAY, civil_from_days, days_from_civil, float_text, julian_micros};
use crate::ir::pg::Converter;
use rusqlite::types::{Value, ValueRef};

/// The session settings the text forms read here assume.
pub const SESSION: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; \
     SET extra_float_digits = 1; SET bytea_output = 'hex';";

/// A SQLite storage class (NULL aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Integer,
    Real,
    Text,
    Blob,
}

/// How a boolean column spells its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolForm {
    /// Integers 0 and 1.
    Int,
    /// Text: the spelling of true and of false (`true`/`false`, `T`/`F`, …).
    Text(&'static str, &'static str),
}

/// The fraction of a second in a timestamp text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frac {
    /// No fraction is written.
    None,
    /// Always exactly this many digits (1–6).
    Fixed(u8),
    /// As many digits as needed, no trailing zeros, none for whole seconds.
    Trimmed,
}

/// The zone suffix of a timestamp text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// None: the wall time is UTC.
    None,
    /// `Z`.
    Z,
    /// `±HH:MM` with this offset in minutes.
    Colon(i32),
    /// `±HHMM` with this offset in minutes.
    Compact(i32),
}

/// The layout of an ISO-8601 timestamp text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLayout {
    /// `YYYY-MM-DD` only.
    pub date_only: bool,
    /// `' '` or `'T'` between date and time.
    pub sep: u8,
    /// `HH:MM:SS` (or `HH:MM` when false).
    pub seconds: bool,
    pub frac: Frac,
    pub zone: Zone,
}

/// What the inverse needs beyond the converter: the form the application
/// writes in one column. Small enough for a recorded plan to carry per
/// column; [`Shape::learn`] derives it from the column's values (one scan,
/// as the profile makes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// The storage class of the column's values; `None` when they mix.
    pub class: Option<Class>,
    /// Boolean columns: the spelling; `None` when it mixes.
    pub bool_form: Option<BoolForm>,
    /// UUID text in upper case (`A`–`F`).
    pub upper: bool,
    /// Timestamp text columns: the layout; `None` when it mixes.
    pub time: Option<TimeLayout>,
}

/// Why a PostgreSQL value cannot go back exactly. A closed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loss {
    /// jsonb keeps neither key order, duplicate keys nor whitespace: the
    /// nearest value is its canonical text.
    JsonCanonical,
    /// Finer than the column's unit or format (µs in an epoch-seconds
    /// column, `.5` in a column without fractions); the nearest value is
    /// truncated.
    Precision(&'static str),
    /// Outside what the column's form can write (year 10000 or BC in ISO
    /// text, infinity in numeric text, a value beyond the Julian range).
    OutOfRange(String),
    /// A number with a fraction in a column of integers.
    NotInteger,
    /// More digits than the column's storage holds (an integer beyond 2^53
    /// as a double, a numeric beyond a double's digits).
    Digits,
    /// NaN written by PostgreSQL has no sign or payload to restore.
    NanBits,
    /// Bytes that are not UTF-8 for a column the application filled with text.
    NotUtf8,
    /// The column's values mix storage classes or spellings: which one the
    /// application would write is unknown.
    MixedShape(&'static str),
    /// No inverse exists for this converter.
    NoInverse(Converter),
    /// PostgreSQL's text is not in the expected form (session not set with
    /// [`SESSION`]?).
    Unreadable(String),
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loss::JsonCanonical => {
                f.write_str("jsonb keeps neither key order, duplicate keys nor whitespace")
            }
            Loss::Precision(what) => write!(f, "finer than the column's {what}"),
            Loss::OutOfRange(what) => write!(f, "{what} is outside what the column's form writes"),
            Loss::NotInteger => f.write_str("a fraction in a column of integers"),
            Loss::Digits => f.write_str("more digits than the column's storage holds"),
            Loss::NanBits => f.write_str("NaN's sign and payload are not kept by PostgreSQL"),
            Loss::NotUtf8 => f.write_str("bytes that are not UTF-8 in a text column"),
            Loss::MixedShape(what) => write!(f, "the column's values mix {what}"),
            Loss::NoInverse(c) => write!(f, "the {} converter has no inverse", c.name()),
            Loss::Unreadable(s) => write!(f, "unreadable PostgreSQL text {s:?}"),
        }
    }
}

/// A value the inverse cannot restore exactly: why, and the nearest value
/// when there is one (for a caller that accepts the loss by name).
#[derive(Debug, Clone, PartialEq)]
pub struct Inexact {
    pub loss: Loss,
    pub nearest: Option<Value>,
}

fn lost(loss: Loss, nearest: Option<Value>) -> Inexact {
    Inexact { loss, nearest }
}

fn unreadable(s: &str) -> Inexact {
    lost(Loss::Unreadable(s.to_string()), None)
}

/// The SQLite value for PostgreSQL's text `pg` of a column converted with
/// `conv` whose application writes `shape`.
pub fn inverse(conv: Converter, pg: Option<&str>, shape: &Shape) -> Result<Value, Inexact> {
    let Some(s) = pg else {
        return Ok(Value::Null);
    };
    match conv {
        Converter::Text => Ok(Value::Text(s.to_string())),
        Converter::AnyText => text_as(s, shape.class),
        Converter::Bytes => {
            let b = s
                .strip_prefix("\\x")
                .and_then(|h| hex::decode(h).ok())
                .ok_or_else(|| unreadable(s))?;
            match shape.class {
                Some(Class::Blob) => Ok(Value::Blob(b)),
                _ => match String::from_utf8(b) {
                    Ok(t) => text_as(&t, shape.class),
                    Err(e) => Err(lost(Loss::NotUtf8, Some(Value::Blob(e.into_bytes())))),
                },
            }
        }
        Converter::Integer => {
            let i: i64 = s.parse().map_err(|_| unreadable(s))?;
            integer_as(i, shape.class)
        }
        Converter::Real => real(s, shape.class),
        Converter::Numeric => numeric(s, shape.class),
        Converter::Boolean => {
            let b = match s {
                // boolout's `t`/`f`; a `::text` cast's `true`/`false`.
                "t" | "true" => true,
                "f" | "false" => false,
                _ => return Err(unreadable(s)),
            };
            match shape.bool_form {
                Some(BoolForm::Int) => Ok(Value::Integer(i64::from(b))),
                Some(BoolForm::Text(t, f)) => Ok(Value::Text(if b { t } else { f }.to_string())),
                None => Err(lost(
                    Loss::MixedShape("spellings of true and false"),
                    Some(Value::Integer(i64::from(b))),
                )),
            }
        }
        Converter::Json => {
            let nearest = match shape.class {
                Some(Class::Blob) => Value::Blob(s.as_bytes().to_vec()),
                _ => Value::Text(s.to_string()),
            };
            Err(lost(Loss::JsonCanonical, Some(nearest)))
        }
        Converter::UuidText => {
            if !crate::value::lexical::is_uuid(s.as_bytes()) {
                return Err(unreadable(s));
            }
            Ok(Value::Text(if shape.upper {
                s.to_ascii_uppercase()
            } else {
                s.to_ascii_lowercase()
            }))
        }
        Converter::UuidBlob => {
            if !crate::value::lexical::is_uuid(s.as_bytes()) {
                return Err(unreadable(s));
            }
            hex::decode(s.replace('-', ""))
                .map(Value::Blob)
                .map_err(|_| unreadable(s))
        }
        Converter::IsoTimestamp => {
            let micros = pg_timestamptz(s)?;
            let Some(layout) = shape.time else {
                return Err(lost(Loss::MixedShape("timestamp layouts"), None));
            };
            iso_text(micros, &layout).map(Value::Text)
        }
        Converter::IsoDate => {
            let days = pg_date(s)?;
            let layout = TimeLayout {
                date_only: true,
                ..TimeLayout::UTC_SECONDS
            };
            iso_text(days * MICROS_PER_DAY, &layout).map(Value::Text)
        }
        Converter::EpochSeconds | Converter::EpochMillis | Converter::EpochMicros => {
            let micros = pg_timestamptz(s)?;
            let (unit, name) = match conv {
                Converter::EpochSeconds => (1_000_000, "seconds"),
                Converter::EpochMillis => (1_000, "milliseconds"),
                _ => (1, "microseconds"),
            };
            let v = Value::Integer(micros.div_euclid(unit));
            if micros.rem_euclid(unit) != 0 {
                return Err(lost(Loss::Precision(name), Some(v)));
            }
            Ok(v)
        }
        Converter::JulianDay => julian(pg_timestamptz(s)?, shape.class),
        Converter::Float32Vector => floats(s, '[', ']'),
        Converter::Float32Array => floats(s, '{', '}'),
        Converter::GeopackageGeometry | Converter::SpatialiteGeometry => {
            Err(lost(Loss::NoInverse(conv), None))
        }
    }
}

/// A text that held a value of any class, back in `class`.
fn text_as(s: &str, class: Option<Class>) -> Result<Value, Inexact> {
    let text = Value::Text(s.to_string());
    match class {
        Some(Class::Text) => Ok(text),
        Some(Class::Blob) => Ok(Value::Blob(s.as_bytes().to_vec())),
        Some(Class::Integer) => match s.parse::<i64>() {
            Ok(i) if i.to_string() == s => Ok(Value::Integer(i)),
            _ => Err(lost(Loss::NotInteger, Some(text))),
        },
        Some(Class::Real) => match parse_f64(s) {
            Some(r) if float_text(r) == s => Ok(Value::Real(r)),
            _ => Err(lost(Loss::OutOfRange(format!("text {s:?}")), Some(text))),
        },
        None => Err(lost(Loss::MixedShape("storage classes"), Some(text))),
    }
}

fn integer_as(i: i64, class: Option<Class>) -> Result<Value, Inexact> {
    match class {
        Some(Class::Integer) => Ok(Value::Integer(i)),
        Some(Class::Text) => Ok(Value::Text(i.to_string())),
        // 2^63 is exact as a double, so the cast back saturates only there.
        Some(Class::Real) if (i as f64) as i64 == i && i as f64 != 9.223_372_036_854_776e18 => {
            Ok(Value::Real(i as f64))
        }
        Some(Class::Real) => Err(lost(Loss::Digits, Some(Value::Integer(i)))),
        _ => Err(lost(
            Loss::MixedShape("storage classes"),
            Some(Value::Integer(i)),
        )),
    }
}

/// float8out's text (`Infinity`, `-0`, shortest round trip) as a double.
fn parse_f64(s: &str) -> Option<f64> {
    match s {
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn real(s: &str, class: Option<Class>) -> Result<Value, Inexact> {
    let r = parse_f64(s).ok_or_else(|| unreadable(s))?;
    match class {
        Some(Class::Real) => Ok(Value::Real(r)),
        // The integer converter's own test of an integral double; `-0`
        // converts from no integer.
        Some(Class::Integer) => {
            match super::convert::convert(Converter::Integer, ValueRef::Real(r)) {
                Ok(super::convert::Value::Int(i)) if !(r == 0.0 && r.is_sign_negative()) => {
                    Ok(Value::Integer(i))
                }
                _ => Err(lost(Loss::NotInteger, Some(Value::Real(r)))),
            }
        }
        Some(Class::Text) if r.is_finite() => Ok(Value::Text(float_text(r))),
        Some(Class::Text) => Err(lost(Loss::OutOfRange(s.to_string()), Some(Value::Real(r)))),
        _ => Err(lost(
            Loss::MixedShape("storage classes"),
            Some(Value::Real(r)),
        )),
    }
}

fn numeric(s: &str, class: Option<Class>) -> Result<Value, Inexact> {
    let special = matches!(s, "Infinity" | "-Infinity" | "NaN");
    match class {
        Some(Class::Text) if special => Err(lost(
            Loss::OutOfRange(s.to_string()),
            Some(Value::Text(s.to_string())),
        )),
        Some(Class::Text) => Ok(Value::Text(s.to_string())),
        Some(Class::Integer) => {
            // numeric(p,s) prints whole numbers with `s` zeros.
            let whole = match s.split_once('.') {
                Some((w, f)) if f.bytes().all(|c| c == b'0') => w,
                Some(_) => return Err(lost(Loss::NotInteger, Some(Value::Text(s.to_string())))),
                None => s,
            };
            match whole.parse::<i64>() {
                Ok(i) => Ok(Value::Integer(i)),
                Err(_) => Err(lost(Loss::Digits, Some(Value::Text(s.to_string())))),
            }
        }
        Some(Class::Real) => {
            let r = parse_f64(s).ok_or_else(|| unreadable(s))?;
            if special || decimal_key(&float_text(r)) == decimal_key(s) {
                Ok(Value::Real(r))
            } else {
                Err(lost(Loss::Digits, Some(Value::Real(r))))
            }
        }
        _ => Err(lost(
            Loss::MixedShape("storage classes"),
            Some(Value::Text(s.to_string())),
        )),
    }
}

/// A finite decimal literal as (negative, significant digits, exponent of
/// the first digit): equal keys are equal numbers. Zero is `(false, "", 0)`.
fn decimal_key(s: &str) -> Option<(bool, String, i64)> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], s[at + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let all: String = format!("{int}{frac}");
    if all.is_empty() || !all.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let lead = all.bytes().take_while(|&c| c == b'0').count();
    let digits = all[lead..].trim_end_matches('0').to_string();
    if digits.is_empty() {
        return Some((false, digits, 0));
    }
    Some((neg, digits, exp + int.len() as i64 - lead as i64))
}

/// PostgreSQL's `timestamptz` text in UTC (`2024-02-29 12:34:56.5+00`,
/// `… BC`) as Unix microseconds.
fn pg_timestamptz(s: &str) -> Result<i64, Inexact> {
    let (date, rest) = s.split_once(' ').ok_or_else(|| unreadable(s))?;
    let (time, bc) = match rest.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (rest, false),
    };
    let time = time.strip_suffix("+00").ok_or_else(|| unreadable(s))?;
    let days = civil_days(date, bc).ok_or_else(|| unreadable(s))?;
    let mut parts = time.splitn(3, ':');
    let mut field = || parts.next().and_then(|p| p.parse::<i64>().ok());
    let (h, m) = (field(), field());
    let sec = time.rsplit(':').next().unwrap_or("");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let (Some(h), Some(m), Ok(whole)) = (h, m, whole.parse::<i64>()) else {
        return Err(unreadable(s));
    };
    let frac = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}")
            .parse::<i64>()
            .map_err(|_| unreadable(s))?
    };
    Ok(days * MICROS_PER_DAY + ((h * 60 + m) * 60 + whole) * 1_000_000 + frac)
}

/// PostgreSQL's `date` text (`2024-02-29`, `0044-03-15 BC`) as Unix days.
fn pg_date(s: &str) -> Result<i64, Inexact> {
    let (date, bc) = match s.strip_suffix(" BC") {
        Some(d) => (d, true),
        None => (s, false),
    };
    civil_days(date, bc).ok_or_else(|| unreadable(s))
}

fn civil_days(date: &str, bc: bool) -> Option<i64> {
    let mut it = date.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    // 1 BC is year 0 of the proleptic calendar.
    Some(days_from_civil(if bc { 1 - y } else { y }, m, d))
}

impl TimeLayout {
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub const UTC_SECONDS: TimeLayout = TimeLayout {
        date_only: false,
        sep: b' ',
        seconds: true,
        frac: Frac::None,
        zone: Zone::None,
    };

    /// The layout of one ISO text the `iso-timestamp` converter accepts;
    /// `None` for anything else. A fraction is `Fixed` here; [`Shape::learn`]
    /// widens differing widths to `Trimmed` where every value allows it.
    pub fn of(b: &[u8]) -> Option<TimeLayout> {
        super::convert::iso(b)?;
        if b.len() == 10 {
            return Some(TimeLayout {
                date_only: true,
                ..TimeLayout::UTC_SECONDS
            });
        }
        let seconds = b.get(16) == Some(&b':');
        let mut i = if seconds { 19 } else { 16 };
        let mut frac = Frac::None;
        if b.get(i) == Some(&b'.') {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            frac = Frac::Fixed(u8::try_from(n).ok().filter(|n| *n <= 6)?);
            i += 1 + n;
        }
        let z = &b[i..];
        let offset = |h: &[u8], m: &[u8]| -> Option<i32> {
            let v = std::str::from_utf8(h).ok()?.parse::<i32>().ok()? * 60
                + std::str::from_utf8(m).ok()?.parse::<i32>().ok()?;
            Some(if z[0] == b'-' { -v } else { v })
        };
        let zone = match z.len() {
            0 => Zone::None,
            1 => Zone::Z,
            6 => Zone::Colon(offset(&z[1..3], &z[4..6])?),
            _ => Zone::Compact(offset(&z[1..3], &z[3..5])?),
        };
        Some(TimeLayout {
            date_only: false,
            sep: b[10],
            seconds,
            frac,
            zone,
        })
    }
}

/// Unix microseconds as ISO text in `layout`.
fn iso_text(micros: i64, layout: &TimeLayout) -> Result<String, Inexact> {
    let offset = match layout.zone {
        Zone::Colon(m) | Zone::Compact(m) => i64::from(m) * 60_000_000,
        _ => 0,
    };
    let local = micros + offset;
    let (y, mo, d) = civil_from_days(local.div_euclid(MICROS_PER_DAY));
    let tod = local.rem_euclid(MICROS_PER_DAY);
    let (sec, sub) = (tod / 1_000_000, tod % 1_000_000);
    let mut out = format!("{y:04}-{mo:02}-{d:02}");
    let mut finer = None;
    if layout.date_only {
        if tod != 0 {
            finer = Some("dates");
        }
    } else {
        out.push(char::from(layout.sep));
        out.push_str(&format!("{:02}:{:02}", sec / 3600, sec / 60 % 60));
        if layout.seconds {
            out.push_str(&format!(":{:02}", sec % 60));
        } else if sec % 60 != 0 {
            finer = Some("minutes");
        }
        let digits = format!("{sub:06}");
        match layout.frac {
            Frac::None if sub != 0 => finer = finer.or(Some("whole seconds")),
            Frac::None => {}
            Frac::Fixed(n) => {
                let (keep, drop) = digits.split_at(usize::from(n));
                out.push('.');
                out.push_str(keep);
                if drop.bytes().any(|c| c != b'0') {
                    finer = finer.or(Some("fraction digits"));
                }
            }
            Frac::Trimmed if sub != 0 => {
                out.push('.');
                out.push_str(digits.trim_end_matches('0'));
            }
            Frac::Trimmed => {}
        }
        match layout.zone {
            Zone::None => {}
            Zone::Z => out.push('Z'),
            Zone::Colon(m) | Zone::Compact(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let (h, mm) = (m.abs() / 60, m.abs() % 60);
                if matches!(layout.zone, Zone::Colon(_)) {
                    out.push_str(&format!("{sign}{h:02}:{mm:02}"));
                } else {
                    out.push_str(&format!("{sign}{h:02}{mm:02}"));
                }
            }
        }
    }
    if !(1..=9999).contains(&y) {
        return Err(lost(Loss::OutOfRange(format!("year {y}")), None));
    }
    match finer {
        Some(what) => Err(lost(Loss::Precision(what), Some(Value::Text(out)))),
        None => Ok(out),
    }
}

/// Unix microseconds as the Julian day double that SQLite's rounding maps to
/// the same millisecond.
fn julian(micros: i64, class: Option<Class>) -> Result<Value, Inexact> {
    if micros % 1000 != 0 {
        return Err(lost(Loss::Precision("milliseconds"), None));
    }
    let ms = micros / 1000 + 210_866_760_000_000;
    let out_of_range = || lost(Loss::OutOfRange(format!("{micros} µs")), None);
    if ms < 0 {
        return Err(out_of_range());
    }
    let mut jd = ms as f64 / 86_400_000.0;
    // The division can land one ulp off; step to a double that rounds back.
    for _ in 0..4 {
        match julian_micros(jd) {
            Some(m) if m == micros => break,
            Some(m) if m < micros => jd = jd.next_up(),
            Some(_) => jd = jd.next_down(),
            None => return Err(out_of_range()),
        }
    }
    if julian_micros(jd) != Some(micros) {
        return Err(out_of_range());
    }
    match class {
        Some(Class::Real) => Ok(Value::Real(jd)),
        Some(Class::Integer) if jd.trunc() == jd => Ok(Value::Integer(jd as i64)),
        Some(Class::Integer) => Err(lost(Loss::NotInteger, Some(Value::Real(jd)))),
        _ => Err(lost(
            Loss::MixedShape("storage classes"),
            Some(Value::Real(jd)),
        )),
    }
}

/// `[1,2.5]` (vector) or `{1,2.5,NaN}` (real[]) as little-endian float32s.
fn floats(s: &str, open: char, close: char) -> Result<Value, Inexact> {
    let inner = s
        .strip_prefix(open)
        .and_then(|r| r.strip_suffix(close))
        .ok_or_else(|| unreadable(s))?;
    let mut out = Vec::new();
    let mut nan = false;
    for part in inner.split(',') {
        let f: f32 = match part {
            "Infinity" => f32::INFINITY,
            "-Infinity" => f32::NEG_INFINITY,
            "NaN" => {
                nan = true;
                f32::NAN
            }
            _ => part.parse().map_err(|_| unreadable(s))?,
        };
        out.extend_from_slice(&f.to_le_bytes());
    }
    if nan {
        return Err(lost(Loss::NanBits, Some(Value::Blob(out))));
    }
    Ok(Value::Blob(out))
}

impl Shape {
    /// The shape of a column converted with `conv`, from its values: the
    /// storage class they share, the boolean spelling, the UUID case, the
    /// timestamp layout. What the values leave open stays `None`, and the
    /// inverse names it rather than guessing. NULLs say nothing.
    pub fn learn<'a>(conv: Converter, values: impl IntoIterator<Item = ValueRef<'a>>) -> Shape {
        let mut shape = Shape::default();
        let mut first = true;
        let mut trim_ok = true;
        for v in values {
            let class = match v {
                ValueRef::Null => continue,
                ValueRef::Integer(_) => Class::Integer,
                ValueRef::Real(_) => Class::Real,
                ValueRef::Text(_) => Class::Text,
                ValueRef::Blob(_) => Class::Blob,
            };
            let bool_form = bool_form(v);
            let time = match v {
                ValueRef::Text(b) if conv == Converter::IsoTimestamp => {
                    trim_ok &= trim_consistent(b);
                    TimeLayout::of(b)
                }
                _ => None,
            };
            let upper = matches!(v, ValueRef::Text(b) if b.iter().any(u8::is_ascii_uppercase));
            if first {
                shape = Shape {
                    class: Some(class),
                    bool_form,
                    upper,
                    time,
                };
                first = false;
                continue;
            }
            if shape.class != Some(class) {
                shape.class = None;
            }
            if shape.bool_form != bool_form {
                shape.bool_form = None;
            }
            shape.upper &= upper;
            shape.time = merge_layout(shape.time, time, trim_ok);
        }
        shape
    }
}

fn bool_form(v: ValueRef<'_>) -> Option<BoolForm> {
    // The spellings the boolean converter accepts, as applications write them.
    const WORDS: [(&str, &str); 5] = [
        ("true", "false"),
        ("TRUE", "FALSE"),
        ("True", "False"),
        ("t", "f"),
        ("T", "F"),
    ];
    match v {
        ValueRef::Integer(0 | 1) => Some(BoolForm::Int),
        ValueRef::Text(b) => WORDS
            .iter()
            .find(|(t, f)| b == t.as_bytes() || b == f.as_bytes())
            .map(|&(t, f)| BoolForm::Text(t, f)),
        _ => None,
    }
}

/// Whether a timestamp text's fraction could be a trimmed one.
fn trim_consistent(b: &[u8]) -> bool {
    let Some(dot) = b.iter().position(|&c| c == b'.') else {
        return true;
    };
    let n = b[dot + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    b[dot + n] != b'0'
}

fn merge_layout(a: Option<TimeLayout>, b: Option<TimeLayout>, trim_ok: bool) -> Option<TimeLayout> {
    let (a, b) = (a?, b?);
    if a == b {
        return Some(a);
    }
    let same_but_frac = TimeLayout { frac: b.frac, ..a } == b;
    (same_but_frac && trim_ok).then_some(TimeLayout {
        frac: Frac::Trimmed,
        ..a
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(class: Class) -> Shape {
        Shape {
            class: Some(class),
            ..Shape::default()
        }
    }

    #[test]
    fn decimal_keys_compare_numbers_not_spellings() {
        assert_eq!(
            decimal_key("1e+300"),
            decimal_key(&format!("1{}", "0".repeat(300)))
        );
        assert_eq!(decimal_key("1.5e-07"), decimal_key("0.00000015"));
        assert_eq!(decimal_key("-0"), decimal_key("0.000"));
        assert_ne!(decimal_key("1.1"), decimal_key("11"));
    }

    #[test]
    fn timestamps_read_postgres_text_including_bc_and_fractions() {
        assert_eq!(pg_timestamptz("1970-01-01 00:00:00+00"), Ok(0));
        assert_eq!(pg_timestamptz("1970-01-01 00:00:00.5+00"), Ok(500_000));
        assert_eq!(
            pg_timestamptz("0001-12-31 00:00:00+00 BC"),
            Ok(days_from_civil(0, 12, 31) * MICROS_PER_DAY)
        );
        assert!(pg_timestamptz("1970-01-01 00:00:00+01").is_err());
    }

    #[test]
    fn layouts_learned_from_values_write_the_same_text() {
        for t in [
            "2024-02-29 23:59:59",
            "2024-02-29T23:59:59.123Z",
            "2024-02-29T23:59+05:30",
            "1999-12-31T20:00:00.000001-0400",
            "2000-01-01",
        ] {
            let layout = TimeLayout::of(t.as_bytes()).unwrap();
            let micros = super::super::convert::iso(t.as_bytes()).unwrap().micros;
            assert_eq!(iso_text(micros, &layout).as_deref(), Ok(t), "{layout:?}");
        }
    }

    #[test]
    fn mixed_fraction_widths_learn_trimmed_only_without_trailing_zeros() {
        let v = |s: &'static str| ValueRef::Text(s.as_bytes());
        let s = Shape::learn(
            Converter::IsoTimestamp,
            [
                v("2024-01-01 00:00:00.5"),
                v("2024-01-01 00:00:00.25"),
                v("2024-01-01 00:00:00"),
            ],
        );
        assert_eq!(s.time.map(|t| t.frac), Some(Frac::Trimmed));
        let s = Shape::learn(
            Converter::IsoTimestamp,
            [v("2024-01-01 00:00:00.50"), v("2024-01-01 00:00:00.250")],
        );
        assert_eq!(s.time, None);
    }

    #[test]
    fn every_converter_has_an_inverse_or_a_named_loss() {
        for &c in Converter::ALL {
            assert_eq!(
                inverse(c, None, &Shape::default()),
                Ok(Value::Null),
                "{c:?}"
            );
        }
        assert_eq!(
            inverse(
                Converter::GeopackageGeometry,
                Some("0101"),
                &shape(Class::Blob)
            ),
            Err(lost(Loss::NoInverse(Converter::GeopackageGeometry), None))
        );
        assert_eq!(
            inverse(
                Converter::Integer,
                Some("9007199254740993"),
                &shape(Class::Real)
            )
            .unwrap_err()
            .loss,
            Loss::Digits
        );
    }
}
