//! SQLite's date and time functions → PostgreSQL, shaped by the type they
//! land in.
//!
//! SQLite has no date type: `datetime`, `date`, `time`, `strftime`,
//! `unixepoch` and `julianday` read a *time value* (the current time, a
//! column, a literal), apply modifiers, and print text (or an integer for
//! `%s`, a real for `%J`). Three kinds of time value translate:
//!
//! * **The current time** in its three SQLite spellings: `'now'`
//!   (milliseconds), `CURRENT_TIMESTAMP` (whole seconds: GDAL's
//!   `strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)` gives `…:05.000Z`)
//!   and `CURRENT_DATE` (midnight UTC) — each truncated in PostgreSQL as
//!   SQLite truncates it. In a DEFAULT the value must have the column's type:
//!
//!   | lands in | text form | `%s` / `unixepoch()` |
//!   |---|---|---|
//!   | `text` / unknown | `to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', fmt)` | `floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint` (`::text` for text) |
//!   | `timestamptz` | `CURRENT_TIMESTAMP` (full date+time formats) | `CURRENT_TIMESTAMP` |
//!   | `timestamp` | `CURRENT_TIMESTAMP AT TIME ZONE 'UTC'` | same |
//!   | `date` | `(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::date` (date-only formats) | — |
//!
//!   UTC is explicit everywhere, so the result does not depend on the
//!   server's `TimeZone` (PostgreSQL's `CURRENT_DATE` would). `'utc'` is a
//!   no-op on the current time, `'localtime'` is the session time zone (with
//!   a note).
//! * **A column whose values were time values** — it became `timestamptz`,
//!   `timestamp` or `date` from ISO text or Julian days, or from integer
//!   seconds read with `'unixepoch'` — or an integer column read with
//!   `'unixepoch'`. The text is printed field by field with `extract()`
//!   (`to_char` is only STABLE), so the result may stand in an index key, a
//!   partial index or a generated column:
//!   `strftime('%Y-%m-%d %H:00:00', created)` → `lpad(extract(year FROM
//!   created AT TIME ZONE 'UTC')::int::text, 4, '0') || '-' || …`. A text
//!   column is not translated: SQLite parses its text when the query runs,
//!   and PostgreSQL has no immutable parser of SQLite's time formats.
//! * **Literals only** (`date('2000-01-01', '+1 day')`): SQLite itself
//!   evaluates the call, and the constant is what lands.
//!
//! Modifiers: `±N days|hours|minutes|seconds` (interval arithmetic on the UTC
//! wall clock, exact), `start of day|month|year` (`date_trunc`), `subsec`.
//! Month and year arithmetic (SQLite normalises Jan 31 + 1 month to Mar 2/3,
//! PostgreSQL clamps to Feb 29) and weekday modifiers are untranslatable;
//! every message quotes the SQLite text.
use sqlparser::ast::{Expr, UnaryOperator, Value};

use super::{Frag, Kind, R, Translator, fail, number_literal, prec, string_literal};
use crate::ident::quote_literal;
use crate::ir::pg::Converter;

const UTC_NOW: &str = "CURRENT_TIMESTAMP AT TIME ZONE 'UTC'";
const EPOCH: &str = "floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint";

/// What a column's stored values are as SQLite time values, by the
/// converter that loaded them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// ISO-8601 text: SQLite parses it (zone-less is UTC).
    IsoText,
    /// A Julian day number (REAL).
    JulianDay,
    /// Integer seconds since 1970: a time value only with `'unixepoch'`.
    EpochSeconds,
    /// Milliseconds or microseconds since 1970: no SQLite time value.
    EpochScaled,
}

impl TimeSource {
    /// The time meaning of the values `conv` loads, if they had one.
    pub fn of(conv: Converter) -> Option<TimeSource> {
        match conv {
            Converter::IsoTimestamp | Converter::IsoDate => Some(TimeSource::IsoText),
            Converter::JulianDay => Some(TimeSource::JulianDay),
            Converter::EpochSeconds => Some(TimeSource::EpochSeconds),
            Converter::EpochMillis | Converter::EpochMicros => Some(TimeSource::EpochScaled),
            _ => None,
        }
    }
}

/// `CURRENT_TIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIME`.
pub(super) fn keyword(t: &mut Translator, name: &str, hint: Option<Kind>) -> R<Frag> {
    let fmt = match name {
        "current_date" => "%Y-%m-%d",
        "current_time" => "%H:%M:%S",
        _ => "%Y-%m-%d %H:%M:%S",
    };
    render_at(t, fmt, false, &Clock::of(Now::Millis), hint)
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

/// The current time after its modifiers.
struct Clock {
    now: Now,
    /// The UTC wall-clock `timestamp`.
    utc: Frag,
    /// The same instant as a `timestamptz`.
    tz: String,
    /// A modifier moved it.
    moved: bool,
}

impl Clock {
    fn of(now: Now) -> Clock {
        let utc = if now == Now::Millis {
            Frag::new(UTC_NOW, prec::AT, Kind::Timestamp)
        } else {
            Frag::call(now.utc(), Kind::Timestamp)
        };
        Clock {
            now,
            utc,
            tz: now.tz(),
            moved: false,
        }
    }

    fn shift(&mut self, utc: Frag) {
        self.tz = format!("({} AT TIME ZONE 'UTC')", utc.wrap(prec::AT + 1));
        self.utc = utc;
        self.moved = true;
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

/// The SQLite text of a modifier, lower-cased, when it is a string literal.
fn modifier_text(t: &mut Translator, m: &Expr) -> R<(Option<String>, String)> {
    let f = t.expr(m, None)?;
    Ok((f.str_lit.as_deref().map(str::to_ascii_lowercase), f.sql))
}

/// `datetime`, `date`, `time`, `strftime`, `unixepoch`, `julianday`.
pub(super) fn call(t: &mut Translator, name: &str, args: &[&Expr], hint: Option<Kind>) -> R<Frag> {
    let (fmt, rest) = match name {
        "strftime" => {
            let Some(first) = args.first() else {
                return fail("strftime() without a format");
            };
            let f = t.expr(first, None)?;
            let Some(fmt) = f.str_lit else {
                return fail("strftime() with a format that is not a string literal");
            };
            if fmt.replace("%%", "").contains("%E") {
                return fail(format!("strftime format code %E in '{fmt}'"));
            }
            (fmt, &args[1..])
        }
        // `%E`: the year as datetime() and date() print it (a sign and four
        // digits), where strftime's `%Y` is printf's `%04d`.
        "datetime" => ("%E-%m-%d %H:%M:%S".to_string(), args),
        "date" => ("%E-%m-%d".to_string(), args),
        "time" => ("%H:%M:%S".to_string(), args),
        "unixepoch" => ("%s".to_string(), args),
        _ => ("%J".to_string(), args),
    };
    if let Some(value) = constant_call(t, name, args)? {
        return Ok(value);
    }
    match rest.first() {
        Some(tv) if t.column_info(tv).is_some() => column_call(t, name, fmt, rest, hint),
        _ => clock_call(t, name, fmt, rest, hint),
    }
}

/// A call of the current time: `'now'`, `CURRENT_TIMESTAMP`, `CURRENT_DATE`
/// or no time value at all.
fn clock_call(
    t: &mut Translator,
    name: &str,
    mut fmt: String,
    rest: &[&Expr],
    hint: Option<Kind>,
) -> R<Frag> {
    let now = match rest.first() {
        None => Now::Millis,
        Some(tv) => match now_value(t, tv)? {
            Some(now) => now,
            None => {
                return fail(format!(
                    "{name}() of time value {tv} (the current time — 'now', CURRENT_TIMESTAMP, \
                     CURRENT_DATE —, a time-typed column, or literals are translated)"
                ));
            }
        },
    };
    let mut clock = Clock::of(now);
    let mut local = false;
    let mut moved_ms = 0;
    for m in rest.iter().skip(1) {
        let (text, sql) = modifier_text(t, m)?;
        match text.as_deref() {
            Some("utc") => {}
            Some("localtime") => local = true,
            Some("subsec" | "subsecond") if matches!(name, "datetime" | "time") => {
                fmt = fmt.replace("%S", "%f");
            }
            Some(s) => match shifted(&clock.utc, s) {
                Some((utc, ms)) if within(&mut moved_ms, ms) => clock.shift(utc),
                _ => return fail(format!("{name}() with modifier {sql}")),
            },
            None => return fail(format!("{name}() with modifier {sql}")),
        }
    }
    if local {
        t.note(
            "'localtime' → PostgreSQL's session time zone (LOCALTIMESTAMP), not the SQLite \
             host's time zone",
        );
    }
    if local && (now != Now::Millis || clock.moved) {
        return fail(format!("{name}() of {} with 'localtime'", rest[0]));
    }
    render_at(t, &fmt, local, &clock, hint)
}

/// A literal argument as the SQLite value it is.
fn literal(e: &Expr) -> Option<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(V::Text(s.clone())),
            Value::Number(n, _) => n
                .parse::<i64>()
                .map(V::Integer)
                .ok()
                .or_else(|| n.parse::<f64>().ok().map(V::Real)),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match literal(expr)? {
            V::Integer(i) => Some(V::Integer(-i)),
            V::Real(r) => Some(V::Real(-r)),
            _ => None,
        },
        Expr::Nested(inner) => literal(inner),
        _ => None,
    }
}

/// A call whose arguments are all literals and that does not read the
/// clock: SQLite evaluates it, and its result is the constant that lands.
fn constant_call(t: &mut Translator, name: &str, args: &[&Expr]) -> R<Option<Frag>> {
    use rusqlite::types::Value as V;
    let Some(values) = args.iter().map(|a| literal(a)).collect::<Option<Vec<V>>>() else {
        return Ok(None);
    };
    let skip = usize::from(name == "strftime");
    let word = |v: &V| match v {
        V::Text(s) => s.trim().to_ascii_lowercase(),
        _ => String::new(),
    };
    if values.len() <= skip || values[skip..].iter().any(|v| word(v) == "now") {
        return Ok(None);
    }
    let shown = args
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if values[skip..]
        .iter()
        .any(|v| matches!(word(v).as_str(), "localtime" | "utc"))
    {
        return fail(format!(
            "{name}({shown}): 'localtime' and 'utc' read the SQLite host's time zone"
        ));
    }
    let evaluated = rusqlite::Connection::open_in_memory().and_then(|db| {
        let marks = (1..=values.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>();
        db.query_row(
            &format!("SELECT {name}({})", marks.join(", ")),
            rusqlite::params_from_iter(values.iter()),
            |r| r.get::<_, V>(0),
        )
    });
    let value = match evaluated {
        Ok(v) => v,
        Err(e) => return fail(format!("{name}({shown}): SQLite refuses it ({e})")),
    };
    t.note(format!(
        "{name}({shown}) is a constant: SQLite evaluated it"
    ));
    match value {
        V::Text(s) => Ok(Some(string_literal(&s))),
        V::Integer(i) => number_literal(&i.to_string()).map(Some),
        V::Real(r) => number_literal(&format!("{r:?}")).map(Some),
        V::Null | V::Blob(_) => fail(format!(
            "{name}({shown}) is NULL in SQLite: its arguments are no time value"
        )),
    }
}

/// A call on a column's values: the column becomes a UTC wall-clock
/// `timestamp`, printed field by field.
fn column_call(
    t: &mut Translator,
    name: &str,
    mut fmt: String,
    rest: &[&Expr],
    hint: Option<Kind>,
) -> R<Frag> {
    let unixepoch = match rest.get(1) {
        Some(m) => modifier_text(t, m)?.0.as_deref() == Some("unixepoch"),
        None => false,
    };
    let mut time = column_time(t, rest[0], unixepoch)?;
    let mut moved = false;
    let mut moved_ms = 0;
    for m in rest.iter().skip(1 + usize::from(unixepoch)) {
        let (text, sql) = modifier_text(t, m)?;
        match text.as_deref() {
            Some("subsec" | "subsecond") if matches!(name, "datetime" | "time") => {
                fmt = fmt.replace("%S", "%f");
            }
            Some(s) => match shifted(&time.ms, s) {
                // Values may sit at Julian day 0, PostgreSQL's first
                // timestamp too: moving them back would raise an error
                // where SQLite gives NULL.
                // 'start of month|year' first: the values whose month or
                // year begins before Julian day 0 are NULL in SQLite too.
                Some(_) if time.from_jd0 && !moved && jd0_floor(s).is_some() => {
                    let floor = jd0_floor(s).unwrap_or_default();
                    let guarded = Frag::atom(
                        format!(
                            "(CASE WHEN {b} >= TIMESTAMP '{floor}' THEN {b} END)",
                            b = time.ms.wrap(prec::CMP + 1)
                        ),
                        Kind::Timestamp,
                    );
                    let (next, _) = shifted(&guarded, s).unwrap_or((guarded, 0));
                    time = ColumnTime {
                        from_jd0: true,
                        ..ColumnTime::both(next, false)
                    };
                    moved = true;
                }
                Some(_) if time.from_jd0 && backward(s) => {
                    return fail(format!(
                        "{name}() of column {} with modifier {sql}: the column's values reach \
                         back to Julian day 0, PostgreSQL's first timestamp, and a move back from \
                         there fails in PostgreSQL where SQLite gives NULL",
                        rest[0]
                    ));
                }
                Some((next, ms)) if within(&mut moved_ms, ms) => {
                    let from_jd0 = time.from_jd0;
                    time = ColumnTime {
                        from_jd0,
                        ..ColumnTime::both(next, false)
                    };
                    moved = true;
                }
                _ => {
                    return fail(format!(
                        "{name}() of column {} with modifier {sql}",
                        rest[0]
                    ));
                }
            },
            None => {
                return fail(format!(
                    "{name}() of column {} with modifier {sql}",
                    rest[0]
                ));
            }
        }
    }
    let guard = moved || !time.in_range;
    let out = render_fields(&fmt, &time, guard || time.year_zero, hint)?;
    if !guard {
        return Ok(out);
    }
    // SQLite's time values run from Julian day 0 (-4713-11-24 12:00) to
    // 9999; one outside (moved there, or so stored) gives NULL. (Not bare
    // in an index key.)
    Ok(Frag::atom(
        format!(
            "CASE WHEN {b} >= TIMESTAMP '4714-11-24 12:00:00 BC' AND {b} < TIMESTAMP '10000-01-01' \
             THEN {} END",
            out.sql,
            b = time.ms.wrap(prec::CMP + 1)
        ),
        out.kind,
    ))
}

/// A column's time value as UTC wall-clock `timestamp`s.
struct ColumnTime {
    /// The values lie in SQLite's range, Julian day 0 to 9999 (ISO text
    /// and dates do; epoch seconds and Julian days need not).
    in_range: bool,
    /// Some may lie in year 0, PostgreSQL's 1 BC.
    year_zero: bool,
    /// Some may sit at Julian day 0, PostgreSQL's first timestamp (epoch
    /// seconds, Julian days): no move back from there.
    from_jd0: bool,
    /// For the fields down to whole seconds.
    fields: Frag,
    /// The instant SQLite holds, in milliseconds: for `%f`, `%s`, `%J` and
    /// modifiers. Text's fraction is capped at .999 before rounding, so
    /// the whole seconds of `fields` never differ from it.
    ms: Frag,
}

impl ColumnTime {
    fn both(f: Frag, in_range: bool) -> ColumnTime {
        ColumnTime {
            in_range,
            year_zero: !in_range,
            from_jd0: !in_range,
            fields: f.clone(),
            ms: f,
        }
    }
}

/// Column `e` as a SQLite time value, when its values were SQLite time
/// values (read with `'unixepoch'` when `unixepoch`).
fn column_time(t: &mut Translator, e: &Expr, unixepoch: bool) -> R<ColumnTime> {
    let (Some(name), Some(info)) = (super::column_name(e), t.column_info(e).cloned()) else {
        return fail(format!("{e} is not a column"));
    };
    let Some(col) = t.column(&name) else {
        return fail(format!("unknown column {e}"));
    };
    let kind = Kind::of_pg_type(&info.pg_type);
    let wall = |col: Frag| match kind {
        Kind::Timestamptz => Some(Frag::new(
            format!("{} AT TIME ZONE 'UTC'", col.wrap(prec::AT + 1)),
            prec::AT,
            Kind::Timestamp,
        )),
        Kind::Timestamp => Some(col),
        Kind::Date => Some(Frag::new(
            col.cast("timestamp"),
            prec::CAST,
            Kind::Timestamp,
        )),
        _ => None,
    };
    // A date is whole already.
    let rounded = |w: Frag, clamp: bool| ColumnTime {
        in_range: true,
        year_zero: false,
        from_jd0: false,
        ms: if kind == Kind::Date {
            w.clone()
        } else {
            millis(w.clone(), clamp)
        },
        fields: w,
    };
    use TimeSource as S;
    let utc = match (info.time, unixepoch) {
        (Some(S::IsoText), false) => {
            t.note(format!(
                "{e}: text with a ±HHMM offset (no colon), a leap second (:60) or more than six \
                 fractional digits loaded as an instant; SQLite's date functions read the first \
                 two as NULL and round the last once, not twice"
            ));
            wall(col).map(|w| rounded(w, true))
        }
        // A Julian day's rounding may carry into the next second.
        (Some(S::JulianDay), false) => {
            wall(col).map(|w| ColumnTime::both(rounded(w, false).ms, false))
        }
        (Some(S::EpochSeconds), true) => wall(col).map(|w| ColumnTime::both(w, false)),
        (Some(S::EpochSeconds), false) => {
            return fail(format!(
                "time value {e}: integer seconds since 1970, which SQLite reads as a Julian day \
                 number unless the 'unixepoch' modifier follows"
            ));
        }
        (Some(S::EpochScaled), _) => {
            return fail(format!(
                "time value {e}: milliseconds or microseconds since 1970 are no SQLite time value"
            ));
        }
        (Some(S::IsoText | S::JulianDay), true) => {
            return fail(format!(
                "time value {e} with 'unixepoch': SQLite gives NULL for text or Julian days"
            ));
        }
        // Only seconds SQLite can hold reach to_timestamp, which errors
        // far outside them.
        (None, true) if kind == Kind::Int => Some(ColumnTime {
            year_zero: true,
            from_jd0: true,
            ..ColumnTime::both(
                Frag::new(
                    format!(
                        "to_timestamp(CASE WHEN {c} BETWEEN -210866760000 AND 253402300799 \
                         THEN {c} END) AT TIME ZONE 'UTC'",
                        c = col.wrap(prec::LIKE + 1)
                    ),
                    prec::AT,
                    Kind::Timestamp,
                ),
                true,
            )
        }),
        (None, _) if kind == Kind::Text => {
            return fail(format!(
                "time value {e}, a text column: SQLite parses its text when the query runs and \
                 PostgreSQL has no immutable equivalent (give the column timestamptz in a rule \
                 of your pack, or write the expression by hand)"
            ));
        }
        (None, _) => None,
    };
    match utc {
        Some(utc) => Ok(utc),
        None => fail(format!(
            "time value {e}: a {} column whose values were not SQLite time values",
            info.pg_type
        )),
    }
}

/// A `timestamp` rounded to milliseconds as SQLite reads an instant:
/// half up (`(s*1000 + 0.5)` truncated), and for text (`clamp`) with the
/// fraction of a second first capped at .999, so `23:59:59.9996` stays in
/// its second (SQLite 3.42 and later; older versions carried into the next).
fn millis(utc: Frag, clamp: bool) -> Frag {
    let rounded = format!(
        "date_trunc('milliseconds', {} + INTERVAL '0.5 milliseconds')",
        utc.wrap(prec::ADD)
    );
    let sql = if clamp {
        format!(
            "least({rounded}, date_trunc('second', {}) + INTERVAL '0.999 seconds')",
            utc.sql
        )
    } else {
        rounded
    };
    Frag::call(sql, Kind::Timestamp)
}

/// How far modifiers may move a time value in all: 4,700 years. ISO text
/// starts at year 0 and PostgreSQL's timestamps at Julian day 0 (4714 BC)
/// — a longer move back errors in PostgreSQL where SQLite gives NULL, so it
/// is not translated.
const MAX_SHIFT_MS: i64 = 4_700 * 365 * 86_400_000;

/// `utc` moved by the SQLite modifier `m` (lower-cased), when PostgreSQL
/// moves it the same way, and by how many milliseconds (0 for `start of`).
/// The amount is whole milliseconds as SQLite makes it (`r * 1000 * unit`,
/// rounded half away from zero).
fn shifted(utc: &Frag, m: &str) -> Option<(Frag, i64)> {
    if let Some(unit) = m.trim().strip_prefix("start of ") {
        let unit = match unit.trim() {
            u @ ("day" | "month" | "year") => u,
            _ => return None,
        };
        let f = Frag::call(
            format!("date_trunc('{unit}', {})", utc.sql),
            Kind::Timestamp,
        );
        return Some((f, 0));
    }
    let m = m.trim();
    let (op, m) = match m.as_bytes().first()? {
        b'+' => ("+", &m[1..]),
        b'-' => ("-", &m[1..]),
        _ => ("+", m),
    };
    let (n, unit) = m.split_once(char::is_whitespace)?;
    let unit = unit.trim();
    let per_second = match unit.strip_suffix('s').unwrap_or(unit) {
        "day" => 86400.0,
        "hour" => 3600.0,
        "minute" => 60.0,
        "second" => 1.0,
        _ => return None,
    };
    let numeric = n.chars().all(|c| c.is_ascii_digit() || c == '.')
        && n.chars().filter(|&c| c == '.').count() <= 1
        && n.chars().any(|c| c.is_ascii_digit());
    let r: f64 = if numeric {
        n.parse().ok()?
    } else {
        return None;
    };
    let ms = r * 1000.0 * per_second + 0.5;
    if !ms.is_finite() || ms >= MAX_SHIFT_MS as f64 {
        return None;
    }
    let ms = ms as i64;
    let f = Frag::new(
        format!(
            "{} {op} INTERVAL {}",
            utc.wrap(prec::ADD),
            quote_literal(&interval(ms))
        ),
        prec::ADD,
        Kind::Timestamp,
    );
    Some((f, ms))
}

/// For `start of month|year`: the first timestamp whose month or year
/// starts at or after Julian day 0 (-4713-11-24 12:00, PostgreSQL's
/// 4714-11-24 BC).
fn jd0_floor(m: &str) -> Option<&'static str> {
    match m.trim() {
        "start of month" => Some("4714-12-01 00:00:00 BC"),
        "start of year" => Some("4713-01-01 00:00:00 BC"),
        _ => None,
    }
}

/// The modifier moves a value back by more than its time of day.
fn backward(m: &str) -> bool {
    let m = m.trim();
    m.starts_with('-') || m == "start of month" || m == "start of year"
}

/// Adds a move of `ms` to `total`: false once all moves together pass
/// [`MAX_SHIFT_MS`].
fn within(total: &mut i64, ms: i64) -> bool {
    *total += ms;
    *total < MAX_SHIFT_MS
}

/// `ms` milliseconds in the largest unit that holds it whole.
fn interval(ms: i64) -> String {
    for (unit, size) in [
        ("days", 86_400_000),
        ("hours", 3_600_000),
        ("minutes", 60_000),
        ("seconds", 1000),
    ] {
        if ms % size == 0 {
            return format!("{} {unit}", ms / size);
        }
    }
    format!("{ms} milliseconds")
}

/// What a SQLite time format produces.
enum Shape {
    /// `%s`: integer seconds since 1970.
    Epoch,
    /// `%J`: fractional Julian day.
    Julian,
    /// Text: through `to_char` with `to_char`, or field by field.
    Text {
        to_char: String,
        parts: Vec<Part>,
        full: bool,
        date_only: bool,
        time_only: bool,
        millis: bool,
    },
}

/// A piece of a text format.
enum Part {
    Lit(String),
    /// A single-field code: `Y m d H M S f j`, and `E` (the year as
    /// datetime() prints it).
    Field(char),
}

fn shape(fmt: &str) -> R<Shape> {
    match fmt {
        "%s" => return Ok(Shape::Epoch),
        "%J" => return Ok(Shape::Julian),
        _ => {}
    }
    let mut out = String::new();
    let mut parts = Vec::new();
    let mut literal = String::new();
    let (mut date_parts, mut time_parts, mut other) = (0, 0, false);
    let mut millis = false;
    let flush = |literal: &mut String, out: &mut String, parts: &mut Vec<Part>| {
        if literal.chars().any(|c| c.is_ascii_alphabetic()) {
            out.push('"');
            out.push_str(literal);
            out.push('"');
        } else {
            out.push_str(literal);
        }
        if !literal.is_empty() {
            parts.push(Part::Lit(std::mem::take(literal)));
        }
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
        flush(&mut literal, &mut out, &mut parts);
        let (pat, fields): (&str, &[char]) = match code {
            'Y' => {
                date_parts |= 1;
                ("YYYY", &['Y'])
            }
            'E' => {
                date_parts |= 1;
                ("YYYY", &['E'])
            }
            'm' => {
                date_parts |= 2;
                ("MM", &['m'])
            }
            'd' => {
                date_parts |= 4;
                ("DD", &['d'])
            }
            'F' => {
                date_parts |= 7;
                ("YYYY-MM-DD", &['Y', '-', 'm', '-', 'd'])
            }
            'H' => {
                time_parts |= 1;
                ("HH24", &['H'])
            }
            'M' => {
                time_parts |= 2;
                ("MI", &['M'])
            }
            'S' => {
                time_parts |= 4;
                ("SS", &['S'])
            }
            'f' => {
                time_parts |= 4;
                millis = true;
                ("SS.MS", &['f'])
            }
            'T' => {
                time_parts |= 7;
                ("HH24:MI:SS", &['H', ':', 'M', ':', 'S'])
            }
            'j' => {
                other = true;
                ("DDD", &['j'])
            }
            c => return fail(format!("strftime format code %{c} in '{fmt}'")),
        };
        out.push_str(pat);
        for &f in fields {
            match f {
                '-' | ':' => parts.push(Part::Lit(f.to_string())),
                f => parts.push(Part::Field(f)),
            }
        }
    }
    flush(&mut literal, &mut out, &mut parts);
    Ok(Shape::Text {
        to_char: out,
        parts,
        full: date_parts == 7 && time_parts == 7 && !other,
        date_only: date_parts == 7 && time_parts == 0 && !other,
        time_only: date_parts == 0 && time_parts == 7 && !other,
        millis,
    })
}

/// One field of the UTC wall-clock `timestamp` `b`, as SQLite prints it,
/// with IMMUTABLE functions only. `bc`: `b` may be 1 BC, SQLite's year 0.
fn field(b: &str, code: char, bc: bool) -> String {
    let padded =
        |unit: &str, width: u8| format!("lpad(extract({unit} FROM {b})::int::text, {width}, '0')");
    match code {
        // SQLite's astronomical year (PostgreSQL's 1 BC is its 0) as
        // printf's %04d prints it: -1 is -001.
        'Y' | 'E' if bc => {
            let y = format!("(extract(year FROM {b})::int + (extract(year FROM {b}) < 0)::int)");
            let digits = if code == 'Y' { 3 } else { 4 };
            format!(
                "CASE WHEN {y} < 0 THEN '-' || lpad((-{y})::text, {digits}, '0') ELSE lpad({y}::text, 4, '0') END"
            )
        }
        'Y' | 'E' => padded("year", 4),
        'm' => padded("month", 2),
        'd' => padded("day", 2),
        'H' => padded("hour", 2),
        'M' => padded("minute", 2),
        'j' => padded("doy", 3),
        // SQLite truncates %S, rounds %f to milliseconds and caps it at 59.999.
        'S' => format!("lpad(floor(extract(second FROM {b}))::int::text, 2, '0')"),
        _ => format!("lpad(least(round(extract(second FROM {b}), 3), 59.999)::text, 6, '0')"),
    }
}

/// A column's time value `utc` printed in SQLite format `fmt`, IMMUTABLE so
/// that it may stand in an index or a generated column.
fn render_fields(fmt: &str, time: &ColumnTime, bc: bool, hint: Option<Kind>) -> R<Frag> {
    let lands = |k: Kind| {
        fail(format!(
            "a time value printed in SQLite format '{fmt}' cannot land in a {} column",
            k.name()
        ))
    };
    let b = &time.ms.sql;
    match shape(fmt)? {
        Shape::Epoch => match hint {
            None | Some(Kind::Int | Kind::Numeric | Kind::Real | Kind::Other) => Ok(Frag::new(
                format!("floor(extract(epoch FROM {b}))::bigint"),
                prec::CAST,
                Kind::Int,
            )),
            Some(Kind::Text) => Ok(Frag::new(
                format!("floor(extract(epoch FROM {b}))::bigint::text"),
                prec::CAST,
                Kind::Text,
            )),
            Some(k) => lands(k),
        },
        Shape::Julian => match hint {
            // SQLite divides its integer milliseconds since the Julian
            // epoch by 86400000.0: the same division in float8.
            None | Some(Kind::Real | Kind::Numeric | Kind::Other) => Ok(Frag::new(
                format!("(extract(epoch FROM {b}) * 1000 + 210866760000000)::float8 / 86400000"),
                prec::MUL,
                Kind::Real,
            )),
            Some(k) => lands(k),
        },
        Shape::Text {
            parts, date_only, ..
        } => match hint {
            None | Some(Kind::Text | Kind::Other) => {
                let sql: Vec<String> = parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) => quote_literal(s),
                        Part::Field('f') => field(b, 'f', bc),
                        Part::Field(c) => field(&time.fields.sql, *c, bc),
                    })
                    .collect();
                Ok(match sql.len() {
                    0 => string_literal(""),
                    1 if matches!(parts[0], Part::Field(_)) => Frag::call(sql.concat(), Kind::Text),
                    _ => Frag::new(sql.join(" || "), prec::OTHER, Kind::Text),
                })
            }
            Some(Kind::Date) if date_only => {
                Ok(Frag::new(time.fields.cast("date"), prec::CAST, Kind::Date))
            }
            Some(k) => lands(k),
        },
    }
}

fn render_at(
    t: &mut Translator,
    fmt: &str,
    local: bool,
    clock: &Clock,
    hint: Option<Kind>,
) -> R<Frag> {
    let shape = shape(fmt)?;
    let lands = |k: Kind| {
        fail(format!(
            "'now' in SQLite format '{fmt}' cannot land in a {} column",
            k.name()
        ))
    };
    let now = clock.now;
    let base = if local {
        Frag::atom("LOCALTIMESTAMP", Kind::Timestamp)
    } else {
        clock.utc.clone()
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
                Some(Kind::Text) if !clock.moved => {
                    Ok(Frag::new(format!("{EPOCH}::text"), prec::CAST, Kind::Text))
                }
                Some(Kind::Timestamptz) => {
                    precision_note(t);
                    Ok(Frag::call(clock.tz.clone(), Kind::Timestamptz))
                }
                Some(Kind::Timestamp) => {
                    precision_note(t);
                    Ok(base)
                }
                Some(k @ (Kind::Date | Kind::Time | Kind::Bool | Kind::Bytes | Kind::Json)) => {
                    lands(k)
                }
                Some(Kind::Text) => Ok(Frag::new(
                    format!("floor(extract(epoch FROM {}))::bigint::text", clock.tz),
                    prec::CAST,
                    Kind::Text,
                )),
                _ if clock.moved => Ok(Frag::new(
                    format!("floor(extract(epoch FROM {}))::bigint", clock.tz),
                    prec::CAST,
                    Kind::Int,
                )),
                // Midnight: a whole number of seconds.
                _ if now == Now::Day => Ok(Frag::new(
                    format!("extract(epoch FROM {})::bigint", clock.tz),
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
                    format!("extract(epoch FROM {}) / 86400.0 + 2440587.5", clock.tz),
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
            ..
        } => match hint {
            None | Some(Kind::Text | Kind::Other) => Ok(Frag::call(
                format!("to_char({}, {})", base.sql, quote_literal(&to_char)),
                Kind::Text,
            )),
            Some(Kind::Timestamptz) if !local && full => {
                precision_note(t);
                Ok(Frag::call(clock.tz.clone(), Kind::Timestamptz))
            }
            Some(Kind::Timestamptz) if !local && date_only => {
                let day = if clock.moved {
                    clock.utc.sql.as_str()
                } else {
                    UTC_NOW
                };
                Ok(Frag::new(
                    format!("date_trunc('day', {day}) AT TIME ZONE 'UTC'"),
                    prec::AT,
                    Kind::Timestamptz,
                ))
            }
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
