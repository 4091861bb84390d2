//! A change-log key back into values: capture writes each key column with
//! SQLite's `quote()` and joins them with `,` ([`crate::capture`]). The text
//! is data (any process that can write the source can write the log), so it
//! is parsed here — NULL, integers, reals, `'text'` with `''` doubled,
//! `X'hex'` — and bound as parameters, never spliced into SQL.
use rusqlite::types::Value;

/// The values of a logged key, or why the text is not one.
pub fn parse(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let (v, after) = one(rest).ok_or_else(|| format!("not a quote() key: {text:?}"))?;
        out.push(v);
        match after.strip_prefix(',') {
            Some(r) => rest = r,
            None if after.is_empty() => return Ok(out),
            None => return Err(format!("not a quote() key: {text:?}")),
        }
    }
}

/// One quoted value at the start of `s`, and what follows it.
fn one(s: &str) -> Option<(Value, &str)> {
    if let Some(r) = s.strip_prefix("NULL") {
        return Some((Value::Null, r));
    }
    if let Some(r) = s.strip_prefix('\'') {
        return text(r);
    }
    if let Some(r) = s.strip_prefix("X'").or_else(|| s.strip_prefix("x'")) {
        let end = r.find('\'')?;
        return Some((Value::Blob(hex::decode(&r[..end]).ok()?), &r[end + 1..]));
    }
    let end = s.find(',').unwrap_or(s.len());
    let (num, r) = s.split_at(end);
    if let Ok(i) = num.parse::<i64>() {
        return Some((Value::Integer(i), r));
    }
    // quote() writes ±infinity as ±9.0e+999, which parses to ±inf.
    let f = num.parse::<f64>().ok()?;
    Some((Value::Real(f), r))
}

/// A `'…'` text whose opening quote is already taken.
fn text(s: &str) -> Option<(Value, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            out.push(c);
            continue;
        }
        if s[i + 1..].starts_with('\'') {
            out.push('\'');
            chars.next();
            continue;
        }
        return Some((Value::Text(out), &s[i + 1..]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// Every key SQLite's own quote() writes parses back to the value it
    /// quoted: the parser is checked against SQLite, not against itself.
    #[test]
    fn quote_output_of_sqlite_round_trips() {
        let db = Connection::open_in_memory().unwrap();
        let values = [
            Value::Null,
            Value::Integer(0),
            Value::Integer(i64::MAX),
            Value::Integer(i64::MIN),
            Value::Real(-0.0),
            Value::Real(1.5),
            Value::Real(0.1),
            Value::Real(1e300),
            Value::Real(f64::INFINITY),
            Value::Real(f64::NEG_INFINITY),
            Value::Real(-2.2250738585072014e-308),
            Value::Text(String::new()),
            Value::Text("it's, a \"key\"\n,'".into()),
            Value::Text("ünï ✓ 𝄞".into()),
            Value::Blob(vec![]),
            Value::Blob(vec![0, 255, 39, 44]),
        ];
        for a in &values {
            for b in &values {
                let text: String = db
                    .query_row("SELECT quote(?1) || ',' || quote(?2)", [a, b], |r| r.get(0))
                    .unwrap();
                let got = parse(&text).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(got.len(), 2, "{text}");
                // What SQLite wrote, SQLite writes again from the parsed
                // values, and finds them the same values (`IS`): -0.0 is
                // written `0.0` by quote() and equal to 0.0 in SQLite.
                let (again, same): (String, bool) = db
                    .query_row(
                        "SELECT quote(?1) || ',' || quote(?2), ?1 IS ?3 AND ?2 IS ?4",
                        [&got[0], &got[1], a, b],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                assert_eq!(again, text);
                assert!(same, "{text}");
            }
        }
    }

    #[test]
    fn text_that_is_not_a_key_is_refused() {
        for bad in ["", "1,", "'open", "1 OR 1=1", "X'0'", "(SELECT 1)", "1,,2"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
