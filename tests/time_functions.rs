//! SQLite's date and time functions over columns (issue 11 §2), proven on
//! data: a table whose generated columns, index keys, partial index and
//! CHECK apply `strftime`/`datetime`/`date`/`time`/`unixepoch`/`julianday`
//! with modifiers to a timestamp column, an epoch-seconds column and a date
//! column. SQLite computes the generated columns itself; migrate must create
//! every one as a PostgreSQL generated column (so the translation is
//! IMMUTABLE, as it must be for the indexes too), and PostgreSQL's value
//! must equal SQLite's on every row — edge values (sub-millisecond
//! fractions, offsets that cross midnight, year 1, before 1970) and a few
//! hundred generated ones — on PostgreSQL 15 and 18.
mod common;

use common::{PgVersion, cluster, pgbridge, text};
use rusqlite::Connection;
use rusqlite::types::Value;
use std::path::Path;

/// Generated columns: (name, SQLite type, expression).
const EXPRS: &[(&str, &str, &str)] = &[
    ("g_hour", "TEXT", "strftime('%Y-%m-%d %H:00:00', created)"),
    ("g_datetime", "TEXT", "datetime(created)"),
    ("g_date", "TEXT", "date(created)"),
    ("g_time", "TEXT", "time(created)"),
    ("g_iso", "TEXT", "strftime('%Y-%m-%dT%H:%M:%fZ', created)"),
    ("g_doy", "TEXT", "strftime('%j %F %T', created)"),
    ("g_subsec", "TEXT", "time(created, 'subsec')"),
    (
        "g_moved",
        "TEXT",
        "datetime(created, '+90 minutes', 'start of day')",
    ),
    ("g_back", "TEXT", "datetime(created, '-1.5 days')"),
    (
        "g_month",
        "TEXT",
        "date(created, 'start of month', '+3 hours')",
    ),
    ("g_epoch", "INTEGER", "unixepoch(created)"),
    ("g_s", "INTEGER", "strftime('%s', created)"),
    ("g_jd", "REAL", "julianday(created)"),
    ("g_secs", "TEXT", "date(secs, 'unixepoch')"),
    (
        "g_secs_year",
        "TEXT",
        "datetime(secs, 'unixepoch', 'start of year', '+12 hours')",
    ),
    ("g_day", "TEXT", "datetime(day, '+1 day')"),
    ("g_day_s", "INTEGER", "strftime('%s', day)"),
    ("g_day_jd", "REAL", "julianday(day)"),
    (
        "g_ms_shift",
        "TEXT",
        "strftime('%H:%M:%f', created, '+0.0006 seconds')",
    ),
    ("g_ep", "TEXT", "datetime(ep, 'unixepoch')"),
    (
        "g_ep_moved",
        "TEXT",
        "date(ep, 'unixepoch', '+1 day', 'start of day')",
    ),
    (
        "g_ep_s",
        "INTEGER",
        "unixepoch(ep, 'unixepoch', '+0.5 seconds')",
    ),
];

/// Seconds for `ep`: SQLite's range ends (year 0 and 9999), just outside
/// them, and far outside (where to_timestamp itself would fail).
const EPOCHS: &[i64] = &[
    253_402_300_799,
    253_402_300_800,
    -62_167_219_200,
    -62_167_219_201,
    10_000_000_000_000_000,
    -10_000_000_000_000_000,
    0,
];

/// Edge values: (created, secs, day).
const EDGES: &[(&str, i64, &str)] = &[
    ("2024-05-14 18:15:28.5285Z", 1_700_000_000, "2024-02-29"),
    // An offset that crosses midnight, and a fraction that rounds up into it.
    ("2024-05-14T23:59:59.9996+02:00", 0, "1999-12-31"),
    ("0001-01-01 00:00:00", -86_401, "2000-01-01"),
    ("1969-12-31 23:59:59.5", -1, "1970-01-01"),
    ("2024-01-01 10:00", 1, "2024-12-31"),
    ("2000-02-29T12:34:56.789-11:30", 4_102_444_800, "1900-03-01"),
    ("9999-12-31 23:59:59.999", 253_402_300_799, "9999-12-31"),
];

/// A deterministic pseudo-random sequence (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn random_row(r: &mut Lcg) -> (String, i64, String) {
    let (y, mo, d) = (1900 + r.next(200), 1 + r.next(12), 1 + r.next(28));
    let (h, mi, s) = (r.next(24), r.next(60), r.next(60));
    let frac = match r.next(4) {
        0 => String::new(),
        1 => format!(".{:03}", r.next(1000)),
        2 => format!(".{:06}", r.next(1_000_000)),
        _ => format!(".{}", r.next(10)),
    };
    let sep = if r.next(2) == 0 { ' ' } else { 'T' };
    let zone = match r.next(4) {
        0 => String::new(),
        1 => "Z".into(),
        2 => format!("+{:02}:{:02}", r.next(15), 15 * r.next(4)),
        _ => format!("-{:02}:{:02}", r.next(13), 30 * r.next(2)),
    };
    let created = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{zone}");
    let secs = r.next(8_000_000_000) as i64 - 4_000_000_000;
    let day = format!(
        "{:04}-{:02}-{:02}",
        1800 + r.next(400),
        1 + r.next(12),
        1 + r.next(28)
    );
    (created, secs, day)
}

fn source(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    let generated: Vec<String> = EXPRS
        .iter()
        .map(|(n, ty, e)| format!(",\n  {n} {ty} GENERATED ALWAYS AS ({e}) VIRTUAL"))
        .collect();
    conn.execute_batch(&format!(
        "CREATE TABLE ev (
           id INTEGER PRIMARY KEY,
           created TIMESTAMP,
           secs INTEGER,
           day DATE CHECK (day IS date(day)),
           ep INTEGER{}
         );
         CREATE INDEX ev_hour ON ev (strftime('%Y-%m-%d %H:00:00', created));
         CREATE INDEX ev_day ON ev (date(day, '+1 day'), unixepoch(created))
           WHERE unixepoch(created) > 0;",
        generated.concat()
    ))
    .unwrap();
    let mut rows: Vec<(String, i64, String)> = EDGES
        .iter()
        .map(|(c, s, d)| (c.to_string(), *s, d.to_string()))
        .collect();
    let mut r = Lcg(11);
    rows.extend((0..400).map(|_| random_row(&mut r)));
    let mut ins = conn
        .prepare("INSERT INTO ev (created, secs, day, ep) VALUES (?1, ?2, ?3, ?4)")
        .unwrap();
    for (i, (c, s, d)) in rows.iter().enumerate() {
        let ep = EPOCHS.get(i).copied().unwrap_or(*s * 60);
        ins.execute((c, s, d, ep)).unwrap();
    }
    ins.execute((None::<String>, None::<i64>, None::<String>, None::<i64>))
        .unwrap();
    drop(ins);
    conn
}

/// SQLite's value as PostgreSQL's text output prints it ('' for NULL).
fn as_text(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => s,
        Value::Blob(b) => panic!("blob {b:?}"),
    }
}

#[test]
fn time_functions_of_columns_compute_what_sqlite_computes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("times.db");
    let conn = source(&path);
    let names: Vec<&str> = EXPRS.iter().map(|(n, _, _)| *n).collect();
    let select = format!("SELECT id, {} FROM ev ORDER BY id", names.join(", "));
    let mut st = conn.prepare(&select).unwrap();
    let expected: Vec<Vec<String>> = st
        .query_map([], |row| {
            (0..=names.len())
                .map(|i| row.get::<_, Value>(i).map(as_text))
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(expected.len(), EDGES.len() + 401);
    for v in [PgVersion::V15, PgVersion::V18] {
        let db = cluster(v).new_db("times");
        let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
        let log = text(&out);
        assert!(out.status.success(), "{v:?}: {log}");
        assert!(!log.contains("not-translated"), "{v:?}: {log}");
        // Every expression became a generated column: PostgreSQL accepted it
        // as IMMUTABLE and computes it.
        let generated = db.scalar(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'ev'::regclass AND attgenerated = 's'",
        );
        assert_eq!(generated, EXPRS.len().to_string(), "{v:?}");
        let indexes =
            db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'ev' ORDER BY 1");
        let indexes: Vec<&str> = indexes.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(indexes, ["ev_day", "ev_hour", "ev_pkey"], "{v:?}");
        let got = db.query(&select);
        assert_eq!(got.len(), expected.len(), "{v:?}");
        let mut differ = Vec::new();
        for (want, have) in expected.iter().zip(&got) {
            for (i, name) in names.iter().enumerate() {
                if want[i + 1] != have[i + 1] {
                    differ.push(format!(
                        "id {} {name}: sqlite {:?}, postgres {:?}",
                        want[0],
                        want[i + 1],
                        have[i + 1]
                    ));
                }
            }
        }
        assert!(differ.is_empty(), "{v:?}:\n{}", differ.join("\n"));
    }
}
