//! Canonical value bytes: what a converted SQLite value and the loaded
//! PostgreSQL value both hash as (see `docs/verify.md`).
//!
//! A field is PostgreSQL's binary send format of the column's type with
//! an `int4` length prefix (`-1` for NULL), exactly what
//! [`wire::encode`] writes — except `numeric`, which is its normalised text
//! (`trim_scale(x)::text`), `jsonb`, which is `jsonb_send` (version byte 1
//! and PostgreSQL's normalised `jsonb::text`, see [`jsonb_text`]), and
//! `character(n)`, whose text drops trailing spaces (`c::text`).
use crate::value::convert::{ConvError, Value, float_text};
use crate::value::wire::{self, Wire};

/// Append the canonical field of `v` for a column of type `wire`.
pub fn field(
    buf: &mut Vec<u8>,
    v: &Value<'_>,
    wire: Wire,
    bpchar: bool,
    scratch: &mut Vec<u8>,
) -> Result<(), ConvError> {
    if let Value::Null = v {
        buf.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    }
    match wire {
        Wire::Numeric { .. } => {
            // The loader's checks (precision, scale, syntax) first.
            scratch.clear();
            wire::encode(scratch, v, wire)?;
            let text = match v {
                Value::Numeric(s) => numeric_text(s),
                Value::Int(i) => numeric_text(&i.to_string()),
                Value::Float(f) => numeric_text(&float_text(*f)),
                _ => None,
            }
            .ok_or_else(|| ConvError::new(format!("{v:?} is not a number")))?;
            put(buf, text.as_bytes());
        }
        Wire::Jsonb => {
            let Value::Json(s) = v else {
                return Err(ConvError::new(format!("cannot write {v:?} to jsonb")));
            };
            let t = jsonb_text(s).map_err(|e| ConvError::new(format!("not JSON: {e}")))?;
            buf.extend_from_slice(&(t.len() as i32 + 1).to_be_bytes());
            buf.push(1);
            buf.extend_from_slice(t.as_bytes());
        }
        Wire::Text { .. } if bpchar => {
            let at = buf.len();
            wire::encode(buf, v, wire)?;
            let mut end = buf.len();
            while end > at + 4 && buf[end - 1] == b' ' {
                end -= 1;
            }
            buf.truncate(end);
            let len = (end - at - 4) as i32;
            buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        _ => wire::encode(buf, v, wire)?,
    }
    Ok(())
}

fn put(buf: &mut Vec<u8>, b: &[u8]) {
    buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
    buf.extend_from_slice(b);
}

/// Sign, decimal digits and the position of the decimal point in them.
fn decimal_parts(text: &str) -> Option<(bool, Vec<u8>, i64, i64)> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], body[p + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let point = int.len() as i64 + exp;
    let dscale = (frac.len() as i64 - exp).max(0);
    Some((neg, digits, point, dscale))
}

/// Digits with the point at `point`, shown with `scale` decimals (every
/// non-zero digit must fit them), no leading zeros, `0` never negative.
fn render_decimal(neg: bool, digits: &[u8], point: i64, scale: i64) -> String {
    let digit = |i: i64| -> u8 {
        if i >= 0 && (i as usize) < digits.len() {
            digits[i as usize]
        } else {
            b'0'
        }
    };
    let mut int = String::new();
    let first_nz = digits.iter().position(|&d| d != b'0').map(|p| p as i64);
    if let Some(f) = first_nz
        && f < point
    {
        for i in f..point {
            int.push(digit(i) as char);
        }
    }
    if int.is_empty() {
        int.push('0');
    }
    let mut out = String::new();
    if neg && first_nz.is_some() {
        out.push('-');
    }
    out.push_str(&int);
    if scale > 0 {
        out.push('.');
        for i in point..point + scale {
            out.push(digit(i) as char);
        }
    }
    out
}

/// `trim_scale(x)::text` of a decimal literal: no exponent, no trailing
/// fraction zeros, `0` not `-0`; `NaN`, `Infinity`, `-Infinity`.
pub fn numeric_text(text: &str) -> Option<String> {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.eq_ignore_ascii_case("nan") {
        return Some("NaN".into());
    }
    if body.eq_ignore_ascii_case("infinity") || body.eq_ignore_ascii_case("inf") {
        return Some(if neg { "-Infinity" } else { "Infinity" }.into());
    }
    let (neg, digits, point, _) = decimal_parts(t)?;
    let last_nz = digits.iter().rposition(|&d| d != b'0').map(|p| p as i64);
    let scale = last_nz.map_or(0, |l| (l + 1 - point).max(0));
    Some(render_decimal(neg, &digits, point, scale))
}

/// `numeric_out(numeric_in(text))`: the display scale is kept (`1.0`).
fn json_number(text: &str) -> Option<String> {
    let (neg, digits, point, dscale) = decimal_parts(text)?;
    Some(render_decimal(neg, &digits, point, dscale))
}

enum J {
    Lit(&'static str),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }
    fn value(&mut self, depth: usize) -> Result<J, String> {
        if depth > 6400 {
            return self.err("nested too deep");
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut pairs = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(pairs));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return self.err("expected a key");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return self.err("expected ':'");
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    pairs.push((k, v));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(J::Obj(pairs));
                        }
                        _ => return self.err("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(J::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(items));
                        }
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'"') => Ok(J::Str(self.string()?)),
            Some(b't') => self.lit("true"),
            Some(b'f') => self.lit("false"),
            Some(b'n') => self.lit("null"),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                if self.s[self.i] == b'-' {
                    self.i += 1;
                }
                let digits = |p: &mut Self| {
                    let st = p.i;
                    while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                        p.i += 1;
                    }
                    p.i - st
                };
                let int_start = self.i;
                let n = digits(self);
                if n == 0 || (n > 1 && self.s[int_start] == b'0') {
                    return self.err("bad number");
                }
                if self.s.get(self.i) == Some(&b'.') {
                    self.i += 1;
                    if digits(self) == 0 {
                        return self.err("bad number");
                    }
                }
                if let Some(b'e' | b'E') = self.s.get(self.i) {
                    self.i += 1;
                    if let Some(b'+' | b'-') = self.s.get(self.i) {
                        self.i += 1;
                    }
                    if digits(self) == 0 {
                        return self.err("bad number");
                    }
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                json_number(text)
                    .map(J::Num)
                    .ok_or_else(|| "bad number".to_string())
            }
            _ => self.err("unexpected character"),
        }
    }
    fn lit(&mut self, w: &'static str) -> Result<J, String> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(J::Lit(w))
        } else {
            self.err("bad literal")
        }
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
        let h = std::str::from_utf8(h).map_err(|_| "bad \\u escape")?;
        let v = u32::from_str_radix(h, 16).map_err(|_| "bad \\u escape")?;
        self.i += 4;
        Ok(v)
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return self.err("unterminated string");
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return self.err("lone surrogate");
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.err("bad surrogate pair");
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            } else if (0xDC00..0xE000).contains(&cp) {
                                return self.err("lone surrogate");
                            }
                            if cp == 0 {
                                return self.err("\\u0000");
                            }
                            let ch = char::from_u32(cp).ok_or("bad \\u escape")?;
                            let mut b = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                        }
                        _ => return self.err("bad escape"),
                    }
                }
                c if c < 0x20 => return self.err("control character in string"),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| "invalid UTF-8".to_string())
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write(out: &mut String, j: J) {
    match j {
        J::Lit(s) => out.push_str(s),
        J::Num(n) => out.push_str(&n),
        J::Str(s) => write_str(out, &s),
        J::Arr(items) => {
            out.push('[');
            for (i, v) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, v);
            }
            out.push(']');
        }
        J::Obj(mut pairs) => {
            // Shorter keys first, then bytewise; the last duplicate wins.
            pairs.reverse();
            pairs.sort_by(|a, b| {
                a.0.len()
                    .cmp(&b.0.len())
                    .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
            });
            pairs.dedup_by(|b, a| a.0 == b.0);
            out.push('{');
            for (i, (k, v)) in pairs.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, &k);
                out.push_str(": ");
                write(out, v);
            }
            out.push('}');
        }
    }
}

/// PostgreSQL's `jsonb::text` of a JSON document.
pub fn jsonb_text(s: &str) -> Result<String, String> {
    let mut p = P {
        s: s.as_bytes(),
        i: 0,
    };
    let j = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return p.err("trailing characters");
    }
    let mut out = String::with_capacity(s.len());
    write(&mut out, j);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_text_is_trim_scale() {
        for (i, o) in [
            ("1.500", "1.5"),
            ("-0.00", "0"),
            ("1e3", "1000"),
            ("1.25E-3", "0.00125"),
            ("007.10", "7.1"),
            ("-12", "-12"),
            ("nan", "NaN"),
            ("-inf", "-Infinity"),
            (".5", "0.5"),
        ] {
            assert_eq!(numeric_text(i).as_deref(), Some(o), "{i}");
        }
    }

    #[test]
    fn jsonb_text_orders_keys_and_keeps_last_duplicate() {
        assert_eq!(
            jsonb_text(r#" {"bb":1,"a":[1.0, 2e2,-0],"a":"x\/\u00e9\u0001","c":{}} "#).unwrap(),
            r#"{"a": "x/é\u0001", "c": {}, "bb": 1}"#
        );
        assert_eq!(jsonb_text("1.50e1").unwrap(), "15.0");
        assert_eq!(jsonb_text("[]").unwrap(), "[]");
        assert!(jsonb_text("[1,]").is_err());
    }
}
