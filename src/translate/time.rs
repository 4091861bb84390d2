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
//! server's `TimeZone` (PostgreSQL's `CURRENT_DATE` would). The time values
//! translated are the current time in its three SQLite spellings: `'now'`
//! (milliseconds), `CURRENT_TIMESTAMP` (whole seconds: GDAL's
//! `strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)` gives `…:05.000Z`)
//! and `CURRENT_DATE` (midnight UTC) — each truncated in PostgreSQL as SQLite
//! truncates it. Other time values (a column, a date string) and modifiers
//! are untranslatable, except `'utc'` (a no-op on the current time),
//! `'localtime'` (the session time zone, with a note) and `'subsec'`; the
//! message quotes the SQLite text.
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

/// The current time as a SQLite time value gives it: how much of the
/// clock survives.
#[derive(Clone, Copy, PartialEq)]
enum Now {
    /// `'now'`: milliseconds.
    Millis,
    /// `CURRENT_TIMESTAMP`: whole seconds.
    Seconds,
    /// `CURRENT_DATE`: midnight.
    Day,
}

impl Now {
    /// The UTC wall-clock `timestamp` of this time value.
    fn utc(self) -> String {
        match self {
            Now::Millis => UTC_NOW.to_string(),
            Now::Seconds => format!("date_trunc('second', {UTC_NOW})"),
            Now::Day => format!("date_trunc('day', {UTC_NOW})"),
        }
    }
    /// The same instant as a `timestamptz`.
    fn tz(self) -> String {
        match self {
            Now::Millis => "CURRENT_TIMESTAMP".to_string(),
            Now::Seconds => "date_trunc('second', CURRENT_TIMESTAMP)".to_string(),
            Now::Day => format!("(date_trunc('day', {UTC_NOW}) AT TIME ZONE 'UTC')"),
        }
    }
}

/// The time value argument when it is the current time.
fn now_value(t: &mut Translator, e: &Expr) -> R<Option<Now>> {
    let text = e.to_string();
    if text.eq_ignore_ascii_case("CURRENT_TIMESTAMP") {
        return Ok(Some(Now::Seconds));
    }
    if text.eq_ignore_ascii_case("CURRENT_DATE") {
        return Ok(Some(Now::Day));
    }
    let f = t.expr(e, None)?;
    Ok(f.str_lit
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("now"))
        .then_some(Now::Millis))
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
    let now = match rest.first() {
        None => Now::Millis,
        Some(tv) => match now_value(t, tv)? {
            Some(now) => now,
            None => {
                return fail(format!(
                    "{name}() of time value {tv} (only the current time: 'now', \
                     CURRENT_TIMESTAMP or CURRENT_DATE, is translated)"
                ));
            }
        },
    };
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
    if local && now != Now::Millis {
        return fail(format!("{name}() of {} with 'localtime'", rest[0]));
    }
    render_at(t, &fmt, local, now, hint)
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
    render_at(t, fmt, local, Now::Millis, hint)
}

fn render_at(t: &mut Translator, fmt: &str, local: bool, now: Now, hint: Option<Kind>) -> R<Frag> {
    let shape = shape(fmt)?;
    let lands = |k: Kind| {
        fail(format!(
            "'now' in SQLite format '{fmt}' cannot land in a {} column",
            k.name()
        ))
    };
    let base = if local {
        Frag::atom("LOCALTIMESTAMP", Kind::Timestamp)
    } else if now == Now::Millis {
        Frag::new(UTC_NOW, prec::AT, Kind::Timestamp)
    } else {
        Frag::call(now.utc(), Kind::Timestamp)
    };
    let exact = now != Now::Millis;
    let precision_note = |t: &mut Translator| {
        if !exact {
            t.note(
                "PostgreSQL's CURRENT_TIMESTAMP has microseconds; SQLite's value had whole seconds \
                 (or milliseconds)",
            )
        }
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
                    Ok(Frag::call(now.tz(), Kind::Timestamptz))
                }
                Some(Kind::Timestamp) => {
                    precision_note(t);
                    Ok(base)
                }
                Some(k @ (Kind::Date | Kind::Time | Kind::Bool | Kind::Bytes | Kind::Json)) => {
                    lands(k)
                }
                _ if now == Now::Day => Ok(Frag::new(
                    format!("extract(epoch FROM {})::bigint", now.tz()),
                    prec::CAST,
                    Kind::Int,
                )),
                _ => Ok(Frag::new(EPOCH, prec::CAST, Kind::Int)),
            }
        }
        Shape::Julian => {
            if local {
                return fail(format!("'{fmt}' with 'localtime'"));
            }
            match hint {
                None | Some(Kind::Real | Kind::Numeric | Kind::Other) => Ok(Frag::new(
                    format!("extract(epoch FROM {}) / 86400.0 + 2440587.5", now.tz()),
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
                Ok(Frag::call(now.tz(), Kind::Timestamptz))
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
