//! The schema a target holds, as pgbridge put it there: the SQLite
//! declarations it was compiled from (without the data profile) and the
//! compiled PostgreSQL schema (`ir::pg`).
//!
//! Written into `pgbridge.runs.live_schema` by migrate (not `--data-only`),
//! with the run's completion mark, and again by sync's schema hook in the
//! transaction that changes the target's schema ([`crate::sync::schema`]);
//! read by the hook, and by `pgbridge diff` given the target, as the old
//! side of a diff. Runs recorded before this column existed have none.

pub use crate::ir::record::SchemaRecord;

/// The record of the newest complete run into `namespace`: `None` when
/// the run recorded none (or an older pgbridge wrote it).
pub fn read(
    client: &mut impl postgres::GenericClient,
    namespace: &str,
) -> Result<Option<SchemaRecord>, postgres::Error> {
    let row = client.query_opt(
        "SELECT (to_jsonb(r) -> 'live_schema')::text FROM pgbridge.runs AS r \
         WHERE target_schema = $1 AND status = 'complete' ORDER BY finished_at DESC LIMIT 1",
        &[&namespace],
    )?;
    let text: Option<String> = row.and_then(|r| r.get(0));
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Records `record` as the schema of the newest complete run into
/// `namespace` (inside the caller's transaction).
pub fn write(
    client: &mut impl postgres::GenericClient,
    namespace: &str,
    record: &SchemaRecord,
) -> Result<(), postgres::Error> {
    client.execute(
        "UPDATE pgbridge.runs SET live_schema = $1::text::jsonb WHERE plan = \
         (SELECT plan FROM pgbridge.runs WHERE target_schema = $2 AND status = 'complete' \
          ORDER BY finished_at DESC LIMIT 1)",
        &[&record.to_json(), &namespace],
    )?;
    Ok(())
}
