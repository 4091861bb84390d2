//! One database per test, reached through psql (and the `postgres` crate if wanted).
//!
//! Input: a [`Cluster`] and a unique name. Output: a [`TestDb`] with helpers to run
//! scripts (`psql_file`, `psql`), read rows (`query`), and count what a migration
//! left behind (`object_count`, `objects`). Invariant: the database is created empty
//! from `template0` (UTF8, C collation) and dropped `WITH (FORCE)` on drop.

use std::path::Path;
use std::process::Command;

use super::PgVersion;
use super::cluster::Cluster;
use super::run::{combined, describe, output_with_input};

/// A fresh database on a test cluster; dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDb {
    /// `postgres://postgres@127.0.0.1:PORT/NAME` (superuser, trust auth).
    pub url: String,
    /// The database name.
    pub name: String,
    /// The server's major version.
    pub version: PgVersion,
    psql: std::path::PathBuf,
    admin_url: String,
}

/// `s` as a SQL string literal (`'it''s'`).
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `s` as a quoted SQL identifier (`"a""b"`).
pub fn sql_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Runs psql on `url` with `args`, feeding `input` on stdin; Ok(stdout) or
/// Err(stderr + stdout).
fn psql_run(psql: &Path, url: &str, args: &[&str], input: Option<&str>) -> Result<String, String> {
    let mut cmd = Command::new(psql);
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .args(args)
        .env("PGCONNECT_TIMEOUT", "20")
        .env("PGCLIENTENCODING", "UTF8")
        .env("LC_MESSAGES", "C");
    let out = output_with_input(&mut cmd, input.map(str::as_bytes))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{}` failed ({}):\n{}",
            describe(&cmd),
            out.status,
            combined(&out)
        ))
    }
}

/// What `object_count` counts: one row per user object, as `kind name`. Objects that
/// belong to an extension are counted through the extension only.
const OBJECTS_SQL: &str = r#"
WITH user_ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
), ext_member AS (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
)
SELECT 'schema ' || nspname FROM user_ns WHERE nspname <> 'public'
UNION ALL
SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
UNION ALL
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
         WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
         ELSE 'index' END || ' ' || n.nspname || '.' || c.relname
FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I')
  AND NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
UNION ALL
SELECT 'type ' || n.nspname || '.' || t.typname
FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
WHERE t.typtype <> 'm'
  AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
UNION ALL
SELECT 'function ' || n.nspname || '.' || p.proname
FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
SELECT 'collation ' || n.nspname || '.' || c.collname
FROM pg_collation c JOIN user_ns n ON n.oid = c.collnamespace
WHERE NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_collation'::regclass AND e.objid = c.oid)
UNION ALL
SELECT 'operator ' || n.nspname || '.' || o.oprname
FROM pg_operator o JOIN user_ns n ON n.oid = o.oprnamespace
WHERE NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_operator'::regclass AND e.objid = o.oid)
UNION ALL
SELECT 'text search configuration ' || n.nspname || '.' || c.cfgname
FROM pg_ts_config c JOIN user_ns n ON n.oid = c.cfgnamespace
UNION ALL
SELECT 'cast ' || format_type(c.castsource, NULL) || ' -> ' || format_type(c.casttarget, NULL)
FROM pg_cast c
WHERE c.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_cast'::regclass AND e.objid = c.oid)
UNION ALL
SELECT 'event trigger ' || evtname FROM pg_event_trigger
UNION ALL
SELECT 'publication ' || pubname FROM pg_publication
ORDER BY 1
"#;

/// The catalog a schema leaves in `public`, one line per fact (relations,
/// columns with type, nullability, default, identity; constraints with
/// `pg_get_constraintdef` and validity; indexes with `pg_get_indexdef`;
/// views; extensions), sorted; migration tools' bookkeeping tables left out.
const CATALOG_SQL: &str = r#"
WITH rels AS (
  SELECT c.oid, c.relname, c.relkind FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')
    AND c.relname NOT IN ('schema_migrations', 'flyway_schema_history', 'atlas_schema_revisions'))
SELECT 'relation ' || relname || ' ' || relkind::text FROM rels
UNION ALL
SELECT 'column ' || r.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE a.attidentity WHEN '' THEN '' ELSE ' identity ' || a.attidentity::text END
       || CASE a.attgenerated WHEN '' THEN '' ELSE ' generated' END
FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
UNION ALL
SELECT 'constraint ' || r.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
       || CASE WHEN c.convalidated THEN '' ELSE ' not valid' END
FROM rels r JOIN pg_constraint c ON c.conrelid = r.oid
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM rels r JOIN pg_index i ON i.indrelid = r.oid
UNION ALL
SELECT 'view ' || r.relname || ' ' || pg_get_viewdef(r.oid) FROM rels r WHERE r.relkind = 'v'
UNION ALL
SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
ORDER BY 1
"#;

impl TestDb {
    /// The catalog of `public`, one sorted line per fact ([`CATALOG_SQL`]).
    pub fn catalog(&self) -> Vec<String> {
        self.query(CATALOG_SQL)
            .into_iter()
            .map(|r| r.join(""))
            .collect()
    }

    /// The catalog of schema `namespace`, as [`TestDb::catalog`] reads `public`.
    #[allow(dead_code)]
    pub fn catalog_in(&self, namespace: &str) -> Vec<String> {
        let literal = format!("'{}'", namespace.replace('\'', "''"));
        self.query(&CATALOG_SQL.replace("'public'", &literal))
            .into_iter()
            .map(|r| r.join(""))
            .collect()
    }

    /// Creates database `name` on `cluster`; panics when that fails.
    pub(super) fn create(cluster: &Cluster, name: String) -> TestDb {
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' \
             STRATEGY FILE_COPY",
            sql_ident(&name)
        );
        if let Err(e) = psql_run(cluster.psql_bin(), cluster.admin_url(), &["-c", &sql], None) {
            panic!("creating test database {name} on {}: {e}", cluster.version);
        }
        TestDb {
            url: cluster.url_for(&name),
            name,
            version: cluster.version,
            psql: cluster.psql_bin().to_path_buf(),
            admin_url: cluster.admin_url().to_string(),
        }
    }

    /// Runs a SQL file with `psql -X -q -v ON_ERROR_STOP=1 -f path` (psql
    /// meta-commands such as `\copy` work). Ok(stdout), or Err(stderr + stdout) when
    /// any statement fails.
    pub fn psql_file(&self, path: &Path) -> Result<String, String> {
        let p = path.to_string_lossy();
        psql_run(&self.psql, &self.url, &["-f", &p], None)
    }

    /// Runs files of a compiled set (`01_schema.sql`, `02_load.sql`, …) from
    /// `set` in one psql session, as the set's header says, with `sqlite_db`
    /// naming the source file `02_load.sql` reads. The raw output, for the
    /// caller to judge.
    pub fn psql_set(&self, set: &Path, files: &[&str], sqlite_db: &Path) -> std::process::Output {
        let mut cmd = Command::new(&self.psql);
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url])
            .arg("-v")
            .arg(format!("sqlite_db={}", sqlite_db.display()))
            .env("PGCLIENTENCODING", "UTF8")
            .env("LC_MESSAGES", "C");
        for f in files {
            cmd.arg("-f").arg(set.join(f));
        }
        cmd.output().expect("run psql")
    }

    /// Runs SQL text like a script file (statements one by one, stops at the first
    /// error). Ok(stdout) or Err(stderr + stdout).
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        psql_run(&self.psql, &self.url, &["-f", "-"], Some(sql))
    }

    /// Rows of `sql` as text (`psql -At`); NULL reads as the empty string. Panics with
    /// the SQL and the error when it fails.
    /// The rows of `relation` (a table or view), `columns` in order, each
    /// row as PostgreSQL's JSON values (timestamps in UTC); unsorted.
    #[allow(dead_code)]
    pub fn json_rows(&self, relation: &str, columns: &[String]) -> Vec<Vec<serde_json::Value>> {
        let cols: Vec<String> = columns.iter().map(|n| sql_ident(n)).collect();
        let sql = format!(
            "SET TimeZone = 'UTC'; SELECT json_build_array({})::text FROM {}",
            cols.join(", "),
            sql_ident(relation)
        );
        self.query(&sql)
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .filter(|r| !r.is_empty() && r != "SET")
            .map(|r| match serde_json::from_str(&r).expect("json row") {
                serde_json::Value::Array(cells) => cells,
                other => panic!("not a row: {other}"),
            })
            .collect()
    }

    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        // Records end with a zero byte (PostgreSQL text never holds NUL, so values may
        // contain newlines); fields are separated by U+001F (unit separator).
        let args = ["-At", "-F", "\u{1f}", "-0", "-f", "-"];
        match psql_run(&self.psql, &self.url, &args, Some(sql)) {
            Ok(out) => parse_unaligned(&out),
            Err(e) => panic!(
                "query failed on {} ({}):\n{sql}\n{e}",
                self.name, self.version
            ),
        }
    }

    /// The first column of the first row of `sql`; panics when there is no row.
    pub fn scalar(&self, sql: &str) -> String {
        let rows = self.query(sql);
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(v) => v,
            None => panic!("query returned no row on {}:\n{sql}", self.name),
        }
    }

    /// User objects in the database (`table public.t`, `extension citext`, …), sorted.
    /// Counts tables, views, sequences, indexes, types, functions, collations,
    /// operators, casts, text search configurations, event triggers, publications,
    /// extensions other than plpgsql, schemas other than public.
    pub fn objects(&self) -> Vec<String> {
        self.query(OBJECTS_SQL)
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect()
    }

    /// How many user objects are left (see [`TestDb::objects`]); 0 on a fresh
    /// database and after a complete rollback.
    pub fn object_count(&self) -> usize {
        self.objects().len()
    }

    /// True when the server can `CREATE EXTENSION name`.
    pub fn has_extension_available(&self, name: &str) -> bool {
        let sql = format!(
            "SELECT count(*) FROM pg_available_extensions WHERE name = {}",
            sql_literal(name)
        );
        self.scalar(&sql) != "0"
    }

    /// A native connection to this database (`postgres` crate, no TLS).
    pub fn connect(&self) -> postgres::Client {
        match postgres::Client::connect(&self.url, postgres::NoTls) {
            Ok(c) => c,
            Err(e) => panic!("connecting to {}: {e}", self.url),
        }
    }
}

/// Splits psql `-At -F U+001F -0` output (every record ends with a zero byte) into
/// rows of fields.
fn parse_unaligned(out: &str) -> Vec<Vec<String>> {
    out.split_terminator('\0')
        .map(|r| r.split('\u{1f}').map(str::to_string).collect())
        .collect()
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            sql_ident(&self.name)
        );
        if let Err(e) = psql_run(&self.psql, &self.admin_url, &["-c", &sql], None) {
            eprintln!("warning: could not drop test database {}: {e}", self.name);
        }
    }
}
