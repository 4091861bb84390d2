//! reverse: change capture on PostgreSQL once a cutover has made it the
//! database of record, so `pgbridge rollback` can bring its changes back
//! to SQLite; and the write block a rollback leaves on PostgreSQL.
//!
//! Input: the target schema and the captured tables: each table's name in
//! the target and its key columns (target names).
//! Output: SQL the cutover runs inside its own PostgreSQL transaction
//! ([`install_sql`]), SQL that removes it again ([`remove_sql`]), and the
//! write block's SQL ([`block_sql`], [`unblock_sql`]).
//!
//! Capture is key-pointer, as on SQLite: one generic trigger function,
//! `pgbridge.reverse_capture()`, fired `AFTER INSERT OR UPDATE OR DELETE FOR
//! EACH ROW` with the key column names as arguments, appends the changed
//! key (a JSON object of the key columns) to `pgbridge.reverse_log` with
//! the writer's transaction id: the new key, the old one too when an
//! UPDATE changed it, the old one on DELETE. Ids from a sequence are not in
//! commit order on PostgreSQL; the transaction id says which entries can
//! still be joined by an earlier-numbered one (see `rollback`). pgbridge's
//! own writes (`pgbridge.skip_triggers = on`) are not logged. TRUNCATE
//! fires no row trigger, so while reverse capture is on it is refused
//! (`reverse_truncate()`); the write block refuses it too.
use crate::ident::{quote_ident, quote_literal};

/// The name of reverse capture's trigger on every captured table.
pub const TRIGGER: &str = "_pgbridge_reverse";
/// The name of the trigger that refuses TRUNCATE while reverse capture
/// is on (a TRUNCATE fires no row trigger: its rows would be missed).
pub const TRUNCATE_TRIGGER: &str = "_pgbridge_reverse_truncate";
/// The name of the write block's trigger on every captured table.
pub const BLOCK_TRIGGER: &str = "_pgbridge_block";
/// The write block's trigger for TRUNCATE.
pub const BLOCK_TRUNCATE_TRIGGER: &str = "_pgbridge_block_truncate";

/// The log table and the two trigger functions: shared by every target
/// schema, created if missing, never dropped.
const FUNCTIONS_SQL: &str = "\
CREATE SCHEMA IF NOT EXISTS pgbridge;
CREATE TABLE IF NOT EXISTS pgbridge.reverse_log (
    id bigserial PRIMARY KEY,
    target_schema text NOT NULL,
    tbl text NOT NULL,
    key jsonb NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS reverse_log_schema ON pgbridge.reverse_log (target_schema, id);
CREATE OR REPLACE FUNCTION pgbridge.reverse_capture() RETURNS trigger
LANGUAGE plpgsql AS $pgbridge$
DECLARE
    new_key jsonb;
    old_key jsonb;
BEGIN
    IF current_setting('pgbridge.skip_triggers', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT jsonb_object_agg(a, to_jsonb(NEW) -> a) INTO new_key FROM unnest(TG_ARGV) AS a;
        INSERT INTO pgbridge.reverse_log (target_schema, tbl, key)
            VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, new_key);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT jsonb_object_agg(a, to_jsonb(OLD) -> a) INTO old_key FROM unnest(TG_ARGV) AS a;
        IF old_key IS DISTINCT FROM new_key THEN
            INSERT INTO pgbridge.reverse_log (target_schema, tbl, key)
                VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, old_key);
        END IF;
    END IF;
    RETURN NULL;
END
$pgbridge$;
CREATE OR REPLACE FUNCTION pgbridge.reverse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $pgbridge$
BEGIN
    IF current_setting('pgbridge.skip_triggers', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
        MESSAGE = format('TRUNCATE of %I.%I after a pgbridge cutover: reverse capture logs rows, so pgbridge rollback could not bring it back; use DELETE', TG_TABLE_SCHEMA, TG_TABLE_NAME);
END
$pgbridge$;
CREATE OR REPLACE FUNCTION pgbridge.write_block() RETURNS trigger
LANGUAGE plpgsql AS $pgbridge$
BEGIN
    IF current_setting('pgbridge.skip_triggers', true) = 'on' THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction', MESSAGE = TG_ARGV[0];
END
$pgbridge$;
";

fn qualified(ns: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(ns), quote_ident(table))
}

/// SQL that starts reverse capture on every table of `tables` in `ns`
/// (again: the triggers are replaced), and lifts a write block a previous
/// rollback left there.
pub fn install_sql(ns: &str, tables: &[(String, Vec<String>)]) -> String {
    let mut sql = String::from(FUNCTIONS_SQL);
    sql.push_str(&unblock_sql(ns, tables));
    sql.push_str(&remove_sql(ns, tables));
    for (t, key) in tables {
        let args: Vec<String> = key.iter().map(|k| quote_literal(k)).collect();
        sql.push_str(&format!(
            "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW EXECUTE FUNCTION pgbridge.reverse_capture({});\n",
            quote_ident(TRIGGER),
            qualified(ns, t),
            args.join(", ")
        ));
        sql.push_str(&format!(
            "CREATE TRIGGER {} BEFORE TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.reverse_truncate();
",
            quote_ident(TRUNCATE_TRIGGER),
            qualified(ns, t),
        ));
    }
    sql
}

/// SQL that removes what [`install_sql`] created for `ns`: the triggers
/// and the schema's log entries (the log table and the functions stay,
/// other schemas may use them).
pub fn remove_sql(ns: &str, tables: &[(String, Vec<String>)]) -> String {
    let mut sql = String::new();
    for (t, _) in tables {
        for name in [TRIGGER, TRUNCATE_TRIGGER] {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS {} ON {};\n",
                quote_ident(name),
                qualified(ns, t)
            ));
        }
    }
    sql.push_str(&format!(
        "DO $pgbridge$ BEGIN IF to_regclass('pgbridge.reverse_log') IS NOT NULL THEN \
         DELETE FROM pgbridge.reverse_log WHERE target_schema = {}; END IF; END $pgbridge$;\n",
        quote_literal(ns)
    ));
    sql
}

/// SQL that makes every application write to `tables` fail with
/// `message`; pgbridge's own writes (`pgbridge.skip_triggers`) pass.
pub fn block_sql(ns: &str, tables: &[(String, Vec<String>)], message: &str) -> String {
    let mut sql = String::from(FUNCTIONS_SQL);
    sql.push_str(&unblock_sql(ns, tables));
    for (t, _) in tables {
        sql.push_str(&format!(
            "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW EXECUTE FUNCTION pgbridge.write_block({});\n",
            quote_ident(BLOCK_TRIGGER),
            qualified(ns, t),
            quote_literal(message)
        ));
        sql.push_str(&format!(
            "CREATE TRIGGER {} BEFORE TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.write_block({});\n",
            quote_ident(BLOCK_TRUNCATE_TRIGGER),
            qualified(ns, t),
            quote_literal(message)
        ));
    }
    sql
}

/// SQL that lifts [`block_sql`]'s block.
pub fn unblock_sql(ns: &str, tables: &[(String, Vec<String>)]) -> String {
    tables
        .iter()
        .flat_map(|(t, _)| {
            [BLOCK_TRIGGER, BLOCK_TRUNCATE_TRIGGER].map(|name| {
                format!(
                    "DROP TRIGGER IF EXISTS {} ON {};\n",
                    quote_ident(name),
                    qualified(ns, t)
                )
            })
        })
        .collect()
}
