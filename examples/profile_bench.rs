//! Times the full data profile of every table of an SQLite database.
//!
//! `cargo run --release --example profile_bench -- PATH.db`
//!
//! Opens the file read-only (no per-call mutex, as a single-threaded
//! reader should), profiles each table of `sqlite_schema` (type
//! `table`) in one scan, and prints per-table time, rows and rows/s, then
//! the total. A table that cannot be scanned (e.g. a virtual table whose
//! module is missing) is reported and skipped.
//!
//! `--baseline` (after PATH) also times a bare scan of the same columns
//! that only reads each value, to show how much of the time is SQLite's.
use pgbridge::source::profile::{profile_columns, readable_columns};
use rusqlite::{Connection, OpenFlags};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: profile_bench PATH.db")?;
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if std::env::args().nth(2).as_deref() == Some("--baseline") {
        let start = Instant::now();
        let mut n = 0u64;
        for name in &tables {
            let cols = readable_columns(&conn, name)?;
            let list: Vec<String> = cols
                .iter()
                .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                .collect();
            let sql = format!(
                "SELECT {} FROM \"{}\"",
                list.join(", "),
                name.replace('"', "\"\"")
            );
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                for i in 0..cols.len() {
                    if !matches!(row.get_ref(i)?, rusqlite::types::ValueRef::Null) {
                        n += 1;
                    }
                }
            }
        }
        println!(
            "baseline bare scan: {:.1} ms ({n} non-null values)",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    let total_start = Instant::now();
    let (mut total_rows, mut total_values) = (0u64, 0u64);
    println!(
        "{:<32} {:>9} {:>5} {:>10} {:>12}",
        "table", "rows", "cols", "ms", "rows/s"
    );
    for name in &tables {
        let cols = readable_columns(&conn, name)?;
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        let start = Instant::now();
        match profile_columns(&conn, name, &refs) {
            Ok(profiles) => {
                let secs = start.elapsed().as_secs_f64();
                let rows = profiles.first().map_or(0, |p| p.rows);
                total_rows += rows;
                total_values += rows * refs.len() as u64;
                println!(
                    "{:<32} {:>9} {:>5} {:>10.1} {:>12.0}",
                    name,
                    rows,
                    refs.len(),
                    secs * 1e3,
                    rows as f64 / secs.max(1e-9)
                );
            }
            Err(e) => println!("{name:<32} skipped: {e}"),
        }
    }
    let secs = total_start.elapsed().as_secs_f64();
    println!(
        "{:<32} {:>9} {:>5} {:>10.1} {:>12.0}  ({} values, {:.0} values/s)",
        "TOTAL",
        total_rows,
        "",
        secs * 1e3,
        total_rows as f64 / secs,
        total_values,
        total_values as f64 / secs
    );
    Ok(())
}
