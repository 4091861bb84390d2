//! PostgreSQL binary COPY: the target column types the loader can write, and
//! the encoding of a converted [`Value`] into one field of a row.
//!
//! **Input**: a target column's type as the catalog names it (base type of a
//! domain, `typname` + `atttypmod`), and converted values. **Output**: bytes
//! of a binary COPY stream (`PGCOPY` header, tuples, trailer).
//!
//! Invariants: every check PostgreSQL's receive function would make that
//! can fail a row (integer range, varchar length, numeric precision and
//! scale, vector dimension, timestamp range) is made here first, so a bad
//! value becomes an error naming its row and column instead of aborting the
//! whole COPY; nothing is rounded or truncated — a value that would be is an
//! error.
use super::convert::{ConvError, MAX_MICROS, MIN_MICROS, Value, float_text};
use crate::ir::pg::Converter;

/// A target column type the binary loader writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Wire {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric`, or `numeric(precision, scale)`.
    Numeric {
        precision: Option<u16>,
        scale: u16,
    },
    /// `text`, `varchar(n)`, `citext`, `name`, `bpchar`: UTF-8 text.
    Text {
        max_chars: Option<u32>,
    },
    Bytea,
    Bool,
    Jsonb,
    Json,
    Uuid,
    Timestamptz,
    Timestamp,
    Date,
    /// pgvector `vector(n)`.
    Vector {
        dim: Option<u32>,
    },
    /// `real[]`.
    Float4Array,
    /// PostGIS `geometry`, with its type modifier when it has one.
    Geometry(GeometryMod),
}

/// A PostGIS `geometry(<type>[Z][M], <srid>)` modifier; `typed == false`
/// is plain `geometry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeometryMod {
    pub typed: bool,
    /// WKB type code; 0 is any.
    pub kind: u32,
    pub z: bool,
    pub m: bool,
    /// 0 is any.
    pub srid: i32,
}

impl GeometryMod {
    pub const ANY: GeometryMod = GeometryMod {
        typed: false,
        kind: 0,
        z: false,
        m: false,
        srid: 0,
    };

    /// Decodes PostGIS's `atttypmod` (gserialized_typmod.h: SRID in bits
    /// 8–28, type in 2–7 by PostGIS's own numbering, Z bit 1, M bit 0).
    pub fn from_typmod(typmod: i32) -> GeometryMod {
        if typmod < 0 {
            return GeometryMod::ANY;
        }
        let srid = ((typmod & 0x0fff_ff00) - (typmod & 0x1000_0000)) >> 8;
        let kind = match (typmod & 0xfc) >> 2 {
            13 => 15,
            14 => 17,
            15 => 16,
            k => k as u32,
        };
        GeometryMod {
            typed: true,
            kind,
            z: typmod & 2 != 0,
            m: typmod & 1 != 0,
            srid,
        }
    }

    /// Reads `PointZ, 4326` (the text inside `geometry(…)`).
    pub fn parse(args: &str) -> Option<GeometryMod> {
        let mut parts = args.split(',').map(str::trim);
        let name = parts.next()?.to_ascii_lowercase();
        let srid = match parts.next() {
            Some(s) => s.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        let (base, z, m) = if let Some(b) = name.strip_suffix("zm") {
            (b, true, true)
        } else if let Some(b) = name.strip_suffix('z') {
            (b, true, false)
        } else if let Some(b) = name.strip_suffix('m') {
            (b, false, true)
        } else {
            (name.as_str(), false, false)
        };
        // No base type name ends in `z` or `m`, so the suffix is unambiguous.
        let kind = super::geometry::type_code(base)?;
        Some(GeometryMod {
            typed: true,
            kind,
            z,
            m,
            srid,
        })
    }

    /// Checks a value's shape against the modifier as PostGIS's
    /// `postgis_valid_typmod` does; a value without an SRID takes the
    /// column's (PostGIS does the same), returned as `Some(srid)`.
    pub fn admit(self, s: super::geometry::Shape) -> Result<Option<i32>, ConvError> {
        use super::geometry::type_name;
        if !self.typed {
            return Ok(None);
        }
        let collection = self.kind == 7 && (4..=7).contains(&s.kind);
        if self.kind != 0 && self.kind != s.kind && !collection {
            return Err(ConvError::new(format!(
                "{} where the column holds {}",
                type_name(s.kind),
                type_name(self.kind)
            )));
        }
        if (s.z, s.m) != (self.z, self.m) {
            let d = |z: bool, m: bool| match (z, m) {
                (false, false) => "XY",
                (true, false) => "XYZ",
                (false, true) => "XYM",
                (true, true) => "XYZM",
            };
            return Err(ConvError::new(format!(
                "{} geometry where the column is {}",
                d(s.z, s.m),
                d(self.z, self.m)
            )));
        }
        match (self.srid, s.srid) {
            (0, _) => Ok(None),
            (c, 0) => Ok(Some(c)),
            (c, v) if c == v => Ok(None),
            (c, v) => Err(ConvError::new(format!(
                "SRID {v} where the column's SRID is {c}"
            ))),
        }
    }
}

impl Wire {
    /// The wire for a catalog type name (`pg_type.typname` of the base
    /// type) and `atttypmod`; `None` for types the loader does not write.
    pub fn from_catalog(typname: &str, typmod: i32) -> Option<Wire> {
        Some(match typname {
            "int2" => Wire::Int2,
            "int4" => Wire::Int4,
            "int8" => Wire::Int8,
            "float4" => Wire::Float4,
            "float8" => Wire::Float8,
            "numeric" => {
                if typmod >= 4 {
                    let t = typmod - 4;
                    Wire::Numeric {
                        precision: Some(((t >> 16) & 0xffff) as u16),
                        scale: (t & 0xffff) as u16,
                    }
                } else {
                    Wire::Numeric {
                        precision: None,
                        scale: 0,
                    }
                }
            }
            "varchar" | "bpchar" => Wire::Text {
                max_chars: (typmod >= 4).then(|| (typmod - 4) as u32),
            },
            "text" | "citext" | "name" => Wire::Text { max_chars: None },
            "bytea" => Wire::Bytea,
            "bool" => Wire::Bool,
            "jsonb" => Wire::Jsonb,
            "json" => Wire::Json,
            "uuid" => Wire::Uuid,
            "timestamptz" => Wire::Timestamptz,
            "timestamp" => Wire::Timestamp,
            "date" => Wire::Date,
            "vector" => Wire::Vector {
                dim: (typmod > 0).then_some(typmod as u32),
            },
            "_float4" => Wire::Float4Array,
            "geometry" => Wire::Geometry(GeometryMod::from_typmod(typmod)),
            _ => return None,
        })
    }

    /// The wire for a type as the rules write it (`bigint`,
    /// `numeric(10,2)`, `vector(384)`, `real[]`).
    pub fn from_sql_type(t: &str) -> Option<Wire> {
        let t = t.trim().to_ascii_lowercase();
        if let Some(args) = t.strip_prefix("geometry") {
            let args = args.trim();
            if args.is_empty() {
                return Some(Wire::Geometry(GeometryMod::ANY));
            }
            let inner = args.strip_prefix('(')?.strip_suffix(')')?;
            return GeometryMod::parse(inner).map(Wire::Geometry);
        }
        let (base, args) = match t.split_once('(') {
            Some((b, rest)) => (b.trim().to_string(), rest.trim_end_matches(')').to_string()),
            None => (t.clone(), String::new()),
        };
        let nums: Vec<i32> = args
            .split(',')
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        let name = match base.as_str() {
            "bigint" | "int8" => "int8",
            "integer" | "int" | "int4" => "int4",
            "smallint" | "int2" => "int2",
            "double precision" | "float8" => "float8",
            "real" | "float4" => "float4",
            "real[]" | "float4[]" => "_float4",
            "boolean" | "bool" => "bool",
            "character varying" | "varchar" => "varchar",
            "timestamp with time zone" | "timestamptz" => "timestamptz",
            "timestamp" | "timestamp without time zone" => "timestamp",
            other => other,
        };
        // PostgreSQL's own bounds: a modifier outside them is a type the
        // server refuses, so it is read as no modifier, never overflowed.
        let typmod = match (name, nums.as_slice()) {
            ("numeric", [p]) if (1..=1000).contains(p) => (p << 16) + 4,
            ("numeric", [p, s]) if (1..=1000).contains(p) && (0..=1000).contains(s) => {
                ((p << 16) | s) + 4
            }
            ("varchar" | "bpchar", [n]) if (1..=10_485_760).contains(n) => n + 4,
            ("vector", [n]) if (1..=16_000).contains(n) => *n,
            _ => -1,
        };
        Wire::from_catalog(name, typmod)
    }

    /// Whether values of `conv` can be written to this type, and the
    /// converter to use when the rule's own converter does not fit
    /// (`--data-only` into a schema someone else made).
    pub fn accepts(self, conv: Converter) -> bool {
        use Converter as C;
        match self {
            Wire::Int2 | Wire::Int4 | Wire::Int8 => matches!(conv, C::Integer),
            Wire::Float4 | Wire::Float8 => matches!(conv, C::Real | C::Integer),
            Wire::Numeric { .. } => matches!(conv, C::Numeric | C::Integer | C::Real),
            Wire::Text { .. } => matches!(
                conv,
                C::Text | C::AnyText | C::Integer | C::Real | C::Numeric | C::UuidText | C::Json
            ),
            Wire::Bytea => matches!(conv, C::Bytes),
            Wire::Bool => matches!(conv, C::Boolean),
            Wire::Jsonb | Wire::Json => matches!(conv, C::Json),
            Wire::Uuid => matches!(conv, C::UuidText | C::UuidBlob),
            Wire::Timestamptz | Wire::Timestamp => matches!(
                conv,
                C::IsoTimestamp
                    | C::IsoDate
                    | C::EpochSeconds
                    | C::EpochMillis
                    | C::EpochMicros
                    | C::JulianDay
            ),
            Wire::Date => matches!(conv, C::IsoDate),
            Wire::Vector { .. } | Wire::Float4Array => {
                matches!(conv, C::Float32Vector | C::Float32Array)
            }
            Wire::Geometry(_) => matches!(conv, C::GeopackageGeometry | C::SpatialiteGeometry),
        }
    }

    /// The converter for this type when nothing better is known.
    pub fn default_converter(self) -> Converter {
        match self {
            Wire::Int2 | Wire::Int4 | Wire::Int8 => Converter::Integer,
            Wire::Float4 | Wire::Float8 => Converter::Real,
            Wire::Numeric { .. } => Converter::Numeric,
            Wire::Text { .. } => Converter::AnyText,
            Wire::Bytea => Converter::Bytes,
            Wire::Bool => Converter::Boolean,
            Wire::Jsonb | Wire::Json => Converter::Json,
            Wire::Uuid => Converter::UuidText,
            Wire::Timestamptz | Wire::Timestamp => Converter::IsoTimestamp,
            Wire::Date => Converter::IsoDate,
            Wire::Vector { .. } => Converter::Float32Vector,
            Wire::Float4Array => Converter::Float32Array,
            Wire::Geometry(_) => Converter::GeopackageGeometry,
        }
    }

    /// A lossy write PostgreSQL would do quietly (float8 → float4).
    pub fn lossy_from(self, conv: Converter) -> Option<&'static str> {
        match (self, conv) {
            (Wire::Float4, _) => {
                Some("real (float4) keeps about 7 significant digits; SQLite stored 8-byte doubles")
            }
            _ => None,
        }
    }
}

/// Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const PG_EPOCH_DAYS: i32 = 10_957;

/// The binary COPY header (signature, flags, header extension length).
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary COPY trailer: a tuple with field count -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Start a tuple of `n` fields.
#[inline]
pub fn begin_row(buf: &mut Vec<u8>, n: u16) {
    buf.extend_from_slice(&n.to_be_bytes());
}

/// Append one field: its length then its bytes, or -1 for NULL.
#[inline]
pub fn encode(buf: &mut Vec<u8>, v: &Value<'_>, wire: Wire) -> Result<(), ConvError> {
    if let Value::Null = v {
        buf.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    }
    let at = buf.len();
    buf.extend_from_slice(&[0, 0, 0, 0]);
    if let Err(e) = encode_body(buf, v, wire) {
        buf.truncate(at);
        return Err(e);
    }
    let len = (buf.len() - at - 4) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn mismatch(v: &Value<'_>, wire: Wire) -> ConvError {
    ConvError::new(format!("cannot write {v:?} to a {wire:?} column"))
}

fn encode_body(buf: &mut Vec<u8>, v: &Value<'_>, wire: Wire) -> Result<(), ConvError> {
    match (wire, v) {
        (Wire::Int8, Value::Int(i)) => buf.extend_from_slice(&i.to_be_bytes()),
        (Wire::Int4, Value::Int(i)) => {
            let x = i32::try_from(*i)
                .map_err(|_| ConvError::new(format!("{i} is out of range for integer")))?;
            buf.extend_from_slice(&x.to_be_bytes());
        }
        (Wire::Int2, Value::Int(i)) => {
            let x = i16::try_from(*i)
                .map_err(|_| ConvError::new(format!("{i} is out of range for smallint")))?;
            buf.extend_from_slice(&x.to_be_bytes());
        }
        (Wire::Float8, Value::Float(f)) => buf.extend_from_slice(&f.to_bits().to_be_bytes()),
        (Wire::Float8, Value::Int(i)) => {
            buf.extend_from_slice(&(*i as f64).to_bits().to_be_bytes())
        }
        (Wire::Float4, Value::Float(f)) => {
            buf.extend_from_slice(&narrow_f32(*f)?.to_bits().to_be_bytes())
        }
        (Wire::Float4, Value::Int(i)) => {
            buf.extend_from_slice(&(*i as f32).to_bits().to_be_bytes())
        }
        (Wire::Numeric { precision, scale }, _) => {
            let text = match v {
                Value::Numeric(s) => std::borrow::Cow::Borrowed(s.as_ref()),
                Value::Int(i) => i.to_string().into(),
                Value::Float(f) => float_text(*f).into(),
                _ => return Err(mismatch(v, wire)),
            };
            encode_numeric(buf, &text, precision, scale)?;
        }
        (Wire::Text { max_chars }, _) => {
            let s: std::borrow::Cow<'_, str> = match v {
                Value::Text(s) => std::borrow::Cow::Borrowed(s.as_ref()),
                Value::Json(s) => (*s).into(),
                Value::Numeric(s) => std::borrow::Cow::Borrowed(s.as_ref()),
                Value::Int(i) => i.to_string().into(),
                Value::Float(f) => float_text(*f).into(),
                Value::Uuid(u) => uuid_text(u).into(),
                _ => return Err(mismatch(v, wire)),
            };
            if let Some(max) = max_chars {
                let n = s.chars().count();
                if n > max as usize {
                    return Err(ConvError::new(format!(
                        "text of {n} characters is longer than the column's {max}"
                    )));
                }
            }
            buf.extend_from_slice(s.as_bytes());
        }
        (Wire::Bytea, Value::Bytes(b)) => buf.extend_from_slice(b),
        (Wire::Bool, Value::Bool(b)) => buf.push(u8::from(*b)),
        (Wire::Jsonb, Value::Json(s)) => {
            buf.push(1);
            buf.extend_from_slice(s.as_bytes());
        }
        (Wire::Json, Value::Json(s)) => buf.extend_from_slice(s.as_bytes()),
        (Wire::Uuid, Value::Uuid(u)) => buf.extend_from_slice(u),
        (Wire::Timestamptz | Wire::Timestamp, Value::Micros(m)) => {
            buf.extend_from_slice(&(m - PG_EPOCH_MICROS).to_be_bytes())
        }
        (Wire::Timestamptz | Wire::Timestamp, Value::Date(d)) => {
            let m = i64::from(*d) * super::convert::MICROS_PER_DAY;
            if !(MIN_MICROS..=MAX_MICROS).contains(&m) {
                return Err(ConvError::new("date outside the timestamp range"));
            }
            buf.extend_from_slice(&(m - PG_EPOCH_MICROS).to_be_bytes())
        }
        (Wire::Date, Value::Date(d)) => buf.extend_from_slice(&(d - PG_EPOCH_DAYS).to_be_bytes()),
        (Wire::Vector { dim }, Value::Floats(b)) => {
            let n = b.len() / 4;
            if let Some(d) = dim
                && n != d as usize
            {
                return Err(ConvError::new(format!(
                    "embedding of {n} dimensions where the column is vector({d})"
                )));
            }
            if n > 16_000 {
                return Err(ConvError::new(format!(
                    "embedding of {n} dimensions; vector holds at most 16000"
                )));
            }
            buf.extend_from_slice(&(n as u16).to_be_bytes());
            buf.extend_from_slice(&[0, 0]);
            for c in b.chunks_exact(4) {
                let bits = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                buf.extend_from_slice(&bits.to_be_bytes());
            }
        }
        (Wire::Geometry(g), Value::Bytes(b)) => {
            let shape = super::geometry::shape(b)
                .ok_or_else(|| ConvError::new("geometry bytes that are not EWKB"))?;
            match g.admit(shape)? {
                None => buf.extend_from_slice(b),
                Some(srid) => super::geometry::with_srid(buf, b, srid),
            }
        }
        (Wire::Float4Array, Value::Floats(b)) => {
            let n = (b.len() / 4) as i32;
            buf.extend_from_slice(&1i32.to_be_bytes()); // ndim
            buf.extend_from_slice(&0i32.to_be_bytes()); // no NULLs
            buf.extend_from_slice(&700u32.to_be_bytes()); // float4
            buf.extend_from_slice(&n.to_be_bytes());
            buf.extend_from_slice(&1i32.to_be_bytes()); // lower bound
            for c in b.chunks_exact(4) {
                let bits = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                buf.extend_from_slice(&4i32.to_be_bytes());
                buf.extend_from_slice(&bits.to_be_bytes());
            }
        }
        _ => return Err(mismatch(v, wire)),
    }
    Ok(())
}

/// A double as float4 the way PostgreSQL casts it: rounded to nearest, but
/// overflow to infinity and underflow to zero are errors, never values.
fn narrow_f32(f: f64) -> Result<f32, ConvError> {
    let r = f as f32;
    if r.is_infinite() && f.is_finite() {
        return Err(ConvError::new(format!(
            "{} is out of range for real (float4): overflow",
            float_text(f)
        )));
    }
    if r == 0.0 && f != 0.0 {
        return Err(ConvError::new(format!(
            "{} is out of range for real (float4): underflow",
            float_text(f)
        )));
    }
    Ok(r)
}

/// Lowercase hyphenated UUID text.
pub fn uuid_text(u: &[u8; 16]) -> String {
    let h = hex::encode(u);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A decimal literal (`-12.50`, `1e+300`, `.5`, `Infinity`) as PostgreSQL's
/// binary numeric: ndigits, weight, sign, dscale, then base-10000 digits.
/// With a precision, the value must fit without rounding.
pub fn encode_numeric(
    buf: &mut Vec<u8>,
    text: &str,
    precision: Option<u16>,
    scale: u16,
) -> Result<(), ConvError> {
    let bad = || ConvError::new(format!("{text:?} is not a decimal number"));
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.eq_ignore_ascii_case("infinity") || body.eq_ignore_ascii_case("inf") {
        if precision.is_some() {
            return Err(ConvError::new(
                "infinity does not fit a numeric with a precision",
            ));
        }
        let sign: u16 = if neg { 0xF000 } else { 0xD000 };
        for x in [0u16, 0, sign, 0] {
            buf.extend_from_slice(&x.to_be_bytes());
        }
        return Ok(());
    }
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], body[p + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (body, 0),
    };
    if !(-1000..=1000).contains(&exp) {
        return Err(ConvError::new(format!(
            "{text} has an exponent beyond what numeric holds"
        )));
    }
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    // All digits, and where the decimal point falls among them.
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|c| c - b'0').collect();
    let point = int.len() as i64 + i64::from(exp);
    let dscale = (frac.len() as i64 - i64::from(exp)).max(0);
    // Significant integer digits and scale of the value, for typmod checks.
    if let Some(p) = precision {
        let first_nz = digits.iter().position(|&d| d != 0);
        let last_nz = digits.iter().rposition(|&d| d != 0);
        if let (Some(f), Some(l)) = (first_nz, last_nz) {
            let int_digits = (point - f as i64).max(0);
            let needed_scale = (l as i64 + 1 - point).max(0);
            if needed_scale > i64::from(scale) {
                return Err(ConvError::new(format!(
                    "{text} has {needed_scale} decimal places; numeric({p},{scale}) would round it"
                )));
            }
            if int_digits > i64::from(p) - i64::from(scale) {
                return Err(ConvError::new(format!(
                    "{text} does not fit numeric({p},{scale})"
                )));
            }
        }
    }
    // Base-10000 groups sit at positions `point - 4k` of the digit string;
    // the first starts at the last such position <= 0.
    let len = digits.len() as i64;
    let mut q = point.rem_euclid(4) - 4;
    if q == -4 {
        q = 0;
    }
    let weight_of = |pos: i64| (point - pos) / 4 - 1; // weight of group starting at pos
    let end = len.max(point);
    let mut groups: Vec<u16> = Vec::new();
    let mut weight = weight_of(q);
    let mut pos = q;
    while pos < end {
        let mut g = 0u16;
        for k in pos..pos + 4 {
            let d = if (0..len).contains(&k) {
                digits[k as usize]
            } else {
                0
            };
            g = g * 10 + u16::from(d);
        }
        groups.push(g);
        pos += 4;
    }
    // Strip leading and trailing zero groups.
    let first = groups.iter().position(|&g| g != 0);
    let (ndigits, weight, groups) = match first {
        None => (0, 0, &groups[..0]),
        Some(f) => {
            let l = groups.iter().rposition(|&g| g != 0).unwrap_or(f);
            weight -= f as i64;
            ((l - f + 1) as i16, weight, &groups[f..=l])
        }
    };
    let sign: u16 = if neg && ndigits > 0 { 0x4000 } else { 0 };
    buf.extend_from_slice(&ndigits.to_be_bytes());
    buf.extend_from_slice(&(weight as i16).to_be_bytes());
    buf.extend_from_slice(&sign.to_be_bytes());
    buf.extend_from_slice(&(dscale as u16).to_be_bytes());
    for g in groups {
        buf.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> (i16, i16, u16, u16, Vec<u16>) {
        let mut b = Vec::new();
        encode_numeric(&mut b, text, None, 0).unwrap();
        let w = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
        let n = w(0) as i16;
        (
            n,
            w(1) as i16,
            w(2),
            w(3),
            (0..n as usize).map(|i| w(4 + i)).collect(),
        )
    }

    #[test]
    fn numeric_groups_follow_the_decimal_point() {
        assert_eq!(num("12345.678"), (3, 1, 0, 3, vec![1, 2345, 6780]));
        assert_eq!(num("-0.0001"), (1, -1, 0x4000, 4, vec![1]));
        assert_eq!(num("1e+300"), (1, 75, 0, 0, vec![1]));
        assert_eq!(num("0.00"), (0, 0, 0, 2, vec![]));
        assert_eq!(num("10000"), (1, 1, 0, 0, vec![1]));
        assert_eq!(num(".5"), (1, -1, 0, 1, vec![5000]));
        assert_eq!(num("1.5e-7"), (1, -2, 0, 8, vec![15]));
    }

    #[test]
    fn numeric_with_typmod_refuses_rounding_and_overflow() {
        let mut b = Vec::new();
        assert!(encode_numeric(&mut b, "1.25", Some(10), 2).is_ok());
        assert!(encode_numeric(&mut b, "1.250", Some(10), 2).is_ok());
        assert!(encode_numeric(&mut b, "1.005", Some(10), 2).is_err());
        assert!(encode_numeric(&mut b, "123456789", Some(10), 2).is_err());
        assert!(encode_numeric(&mut b, "Infinity", Some(10), 2).is_err());
    }

    #[test]
    fn modifiers_past_postgres_bounds_never_overflow() {
        for t in [
            "numeric(2147483647)",
            "numeric(40000, 2147483647)",
            "varchar(2147483647)",
            "numeric(-5)",
            "vector(2147483647)",
        ] {
            let w = Wire::from_sql_type(t);
            assert!(
                !matches!(
                    w,
                    Some(Wire::Numeric {
                        precision: Some(_),
                        ..
                    }) | Some(Wire::Text { max_chars: Some(_) })
                        | Some(Wire::Vector { dim: Some(_) })
                ),
                "{t}: {w:?}"
            );
        }
        assert_eq!(
            Wire::from_sql_type("numeric(1000, 3)"),
            Some(Wire::Numeric {
                precision: Some(1000),
                scale: 3
            })
        );
    }

    #[test]
    fn catalog_types_map_to_wires_with_their_modifiers() {
        assert_eq!(
            Wire::from_catalog("numeric", (10 << 16 | 2) + 4),
            Some(Wire::Numeric {
                precision: Some(10),
                scale: 2
            })
        );
        assert_eq!(
            Wire::from_catalog("varchar", 24),
            Some(Wire::Text {
                max_chars: Some(20)
            })
        );
        assert_eq!(
            Wire::from_catalog("vector", 384),
            Some(Wire::Vector { dim: Some(384) })
        );
        assert_eq!(Wire::from_catalog("point", -1), None);
    }

    #[test]
    fn float4_refuses_overflow_and_underflow_like_postgres_casts() {
        let mut b = Vec::new();
        let e = encode(&mut b, &Value::Float(1e300), Wire::Float4).unwrap_err();
        assert!(e.reason.contains("overflow"), "{e}");
        let e = encode(&mut b, &Value::Float(1e-50), Wire::Float4).unwrap_err();
        assert!(e.reason.contains("underflow"), "{e}");
        assert!(b.is_empty());
        encode(&mut b, &Value::Float(0.1), Wire::Float4).unwrap();
        assert_eq!(&b[4..], &0.1f32.to_bits().to_be_bytes());
    }

    #[test]
    fn a_failed_field_leaves_the_buffer_as_it_was() {
        let mut b = vec![9u8];
        let e = encode(&mut b, &Value::Int(1 << 40), Wire::Int4).unwrap_err();
        assert!(e.reason.contains("out of range for integer"));
        assert_eq!(b, vec![9u8]);
    }
}
