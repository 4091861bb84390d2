//! SQLite's "now" values → PostgreSQL, shaped by the type they land in.
//!
//! SQLite has no date type: `CURRENT_TIMESTAMP`, `datetime('now')` and
//! `strftime(fmt, 'now')` are UTC text (`YYYY-MM-DD HH:MM:SS`), and
//! `strftime('%s','now')` / `unixepoch()` an integer. In PostgreSQL the same
//! DEFAULT must produce a value of the column's type:
//!
//! | lands in | text form | `%s` / `unixepoch()` |
//! |---|---|---|
//! | `text` / unknown | `to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', fmt)` | `floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint` (`::text` for text) |
//! | `timestamptz` | `CURRENT_TIMESTAMP` (full date+time formats) | `CURRENT_TIMESTAMP` |
//! | `timestamp` | `CURRENT_TIMESTAMP AT TIME ZONE 'UTC'` | same |
//! | `date` | `(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::date` (date-only formats) | — |
//!
//! UTC is explicit everywhere, so the result does not depend on the
//! server's `TimeZone` (PostgreSQL's `CURRENT_DATE` would). Only the time
//! value `'now'` is translated; other time values and modifiers are
//! untranslatable, except `'utc'` (a no-op on 'now'), `'localtime'` (the
//! session time zone, with a note) and `'subsec'`.
use sqlparser::ast::Expr;

use super::{Frag, Kind, R, Translator, fail, prec};
use crate::ident::quote_literal;

const UTC_NOW: &str = "CURRENT_TIMESTAMP AT TIME ZONE 'UTC'";
const EPOCH: &str = "floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint";

/// `CURRENT_TIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIME`.
pub(super) fn keyword(t: &mut Translator, name: &str, hint: Option<Kind>) -> R<Frag> {
    let fmt = match name {
        "current_date" => "%Y-%m-%d",
        "current_time" => "%H:%M:%S",
        _ => "%Y-%m-%d %H:%M:%S",
    };
    render(t, fmt, false, hint)
}

/// `datetime`, `date`, `time`, `strftime`, `unixepoch`, `julianday`.
pub(super) fn call(t: &mut Translator, name: &str, args: &[&Expr], hint: Option<Kind>) -> R<Frag> {
    let (mut fmt, rest) = match name {
        "strftime" => {
            let Some(first) = args.first() else {
                return fail("strftime() without a format");
            };
            let f = t.expr(first, None)?;
            let Some(fmt) = f.str_lit else {
                return fail("strftime() with a format that is not a string literal");
            };
            (fmt, &args[1..])
        }
        "datetime" => ("%Y-%m-%d %H:%M:%S".to_string(), args),
        "date" => ("%Y-%m-%d".to_string(), args),
        "time" => ("%H:%M:%S".to_string(), args),
        "unixepoch" => ("%s".to_string(), args),
        _ => ("%J".to_string(), args),
    };
    if let Some(tv) = rest.first() {
        let f = t.expr(tv, None)?;
        if !f
            .str_lit
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("now"))
        {
            return fail(format!(
                "{name}() of time value {} (only 'now' is translated)",
                f.sql
            ));
        }
    }
    let mut local = false;
    for m in rest.iter().skip(1) {
        let f = t.expr(m, None)?;
        let modifier = f.str_lit.as_deref().map(str::to_ascii_lowercase);
        match modifier.as_deref() {
            Some("utc") => {}
            Some("localtime") => local = true,
            Some("subsec" | "subsecond") if matches!(name, "datetime" | "time") => {
                fmt = fmt.replace("%S", "%f");
            }
            _ => return fail(format!("{name}() with modifier {}", f.sql)),
        }
    }
    if local {
        t.note(
            "'localtime' → PostgreSQL's session time zone (LOCALTIMESTAMP), not the SQLite \
             host's time zone",
        );
    }
    render(t, &fmt, local, hint)
}

/// What a SQLite time format produces.
enum Shape {
    /// `%s`: integer seconds since 1970.
    Epoch,
    /// `%J`: fractional Julian day.
    Julian,
    /// Text through `to_char` with this pattern.
    Text {
        to_char: String,
        full: bool,
        date_only: bool,
        time_only: bool,
        millis: bool,
    },
}

fn shape(fmt: &str) -> R<Shape> {
    match fmt {
        "%s" => return Ok(Shape::Epoch),
        "%J" => return Ok(Shape::Julian),
        _ => {}
    }
    let mut out = String::new();
    let mut literal = String::new();
    let (mut date_parts, mut time_parts, mut other) = (0, 0, false);
    let mut millis = false;
    let flush = |literal: &mut String, out: &mut String| {
        if literal.chars().any(|c| c.is_ascii_alphabetic()) {
            out.push('"');
            out.push_str(literal);
            out.push('"');
        } else {
            out.push_str(literal);
        }
        literal.clear();
    };
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            if c == '"' || c == '\\' {
                return fail(format!("strftime format '{fmt}' with `{c}`"));
            }
            literal.push(c);
            continue;
        }
        let Some(code) = chars.next() else {
            return fail(format!("strftime format '{fmt}' ends with `%`"));
        };
        if code == '%' {
            literal.push('%');
            continue;
        }
        flush(&mut literal, &mut out);
        let pat = match code {
            'Y' => {
                date_parts |= 1;
                "YYYY"
            }
            'm' => {
                date_parts |= 2;
                "MM"
            }
            'd' => {
                date_parts |= 4;
                "DD"
            }
            'F' => {
                date_parts |= 7;
                "YYYY-MM-DD"
            }
            'H' => {
                time_parts |= 1;
                "HH24"
            }
            'M' => {
                time_parts |= 2;
                "MI"
            }
            'S' => {
                time_parts |= 4;
                "SS"
            }
            'f' => {
                time_parts |= 4;
                millis = true;
                "SS.MS"
            }
            'T' => {
                time_parts |= 7;
                "HH24:MI:SS"
            }
            'j' => {
                other = true;
                "DDD"
            }
            c => return fail(format!("strftime format code %{c} in '{fmt}'")),
        };
        out.push_str(pat);
    }
    flush(&mut literal, &mut out);
    Ok(Shape::Text {
        to_char: out,
        full: date_parts == 7 && time_parts == 7 && !other,
        date_only: date_parts == 7 && time_parts == 0 && !other,
        time_only: date_parts == 0 && time_parts == 7 && !other,
        millis,
    })
}

fn render(t: &mut Translator, fmt: &str, local: bool, hint: Option<Kind>) -> R<Frag> {
    let shape = shape(fmt)?;
    let lands = |k: Kind| {
        fail(format!(
            "'now' in SQLite format '{fmt}' cannot land in a {} column",
            k.name()
        ))
    };
    let base = if local {
        Frag::atom("LOCALTIMESTAMP", Kind::Timestamp)
    } else {
        Frag::new(UTC_NOW, prec::AT, Kind::Timestamp)
    };
    let precision_note = |t: &mut Translator| {
        t.note(
            "PostgreSQL's CURRENT_TIMESTAMP has microseconds; SQLite's value had whole seconds \
             (or milliseconds)",
        )
    };
    match shape {
        Shape::Epoch => {
            if local {
                return fail(format!("'{fmt}' with 'localtime'"));
            }
            match hint {
                Some(Kind::Text) => Ok(Frag::new(format!("{EPOCH}::text"), prec::CAST, Kind::Text)),
                Some(Kind::Timestamptz) => {
                    precision_note(t);
                    Ok(Frag::call("CURRENT_TIMESTAMP", Kind::Timestamptz))
                }
                Some(Kind::Timestamp) => {
                    precision_note(t);
                    Ok(base)
                }
                Some(k @ (Kind::Date | Kind::Time | Kind::Bool | Kind::Bytes | Kind::Json)) => {
                    lands(k)
                }
                _ => Ok(Frag::new(EPOCH, prec::CAST, Kind::Int)),
            }
        }
        Shape::Julian => {
            if local {
                return fail(format!("'{fmt}' with 'localtime'"));
            }
            match hint {
                None | Some(Kind::Real | Kind::Numeric | Kind::Other) => Ok(Frag::new(
                    "extract(epoch FROM CURRENT_TIMESTAMP) / 86400.0 + 2440587.5",
                    prec::ADD,
                    Kind::Numeric,
                )),
                Some(k) => lands(k),
            }
        }
        Shape::Text {
            to_char,
            full,
            date_only,
            time_only,
            millis,
        } => match hint {
            None | Some(Kind::Text | Kind::Other) => Ok(Frag::call(
                format!("to_char({}, {})", base.sql, quote_literal(&to_char)),
                Kind::Text,
            )),
            Some(Kind::Timestamptz) if !local && full => {
                precision_note(t);
                Ok(Frag::call("CURRENT_TIMESTAMP", Kind::Timestamptz))
            }
            Some(Kind::Timestamptz) if !local && date_only => Ok(Frag::new(
                format!("date_trunc('day', {UTC_NOW}) AT TIME ZONE 'UTC'"),
                prec::AT,
                Kind::Timestamptz,
            )),
            Some(Kind::Timestamp) if full => {
                precision_note(t);
                Ok(base)
            }
            Some(Kind::Timestamp) if date_only => Ok(Frag::call(
                format!("date_trunc('day', {})", base.sql),
                Kind::Timestamp,
            )),
            Some(Kind::Date) if date_only => {
                Ok(Frag::new(base.cast("date"), prec::CAST, Kind::Date))
            }
            Some(Kind::Time) if time_only => {
                let ty = if millis { "time(3)" } else { "time(0)" };
                Ok(Frag::new(base.cast(ty), prec::CAST, Kind::Time))
            }
            Some(k) => lands(k),
        },
    }
}
