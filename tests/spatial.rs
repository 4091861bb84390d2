//! Spatial databases (issue 11 §2), made by the real SpatiaLite library:
//!
//! - SpatiaLite geometry (plain, compressed, XYZ, XYZM) and GeoPackage
//!   geometry become PostGIS `geometry(<type>,<srid>)` on PostgreSQL 15 with
//!   PostGIS; every value's `ST_AsEWKB` equals SpatiaLite's own `AsEWKB`, the
//!   R*Tree becomes a GiST index, and migrate's verify passes. The
//!   GeoPackage set also loads through `02_load.sql` and verifies.
//! - Without PostGIS (PostgreSQL 18 here has none) the column is bytea
//!   holding each blob exactly, with a warning naming PostGIS.
//! - An R*Tree whose shadow tables are gone is a warning in inspect, compile
//!   and migrate, never a failure.
//! - Hostile table and column names in a GeoPackage catalog go through
//!   quoting, the GiST index name too.
mod common;

use common::{PgVersion, TestDb, cluster, pgbridge, text};
use rusqlite::{Connection, LoadExtensionGuard};
use std::path::{Path, PathBuf};

const INSTALL_HINT: &str = "install the test prerequisites with `bash .ci/install-pg` (libsqlite3-mod-spatialite, postgresql-15-postgis-3)";

/// A new writable database at `path` with SpatiaLite loaded.
fn spatialite(path: &Path) -> Connection {
    let lib = std::env::var("PGBRIDGE_MOD_SPATIALITE").unwrap_or_else(|_| "mod_spatialite".into());
    let conn = Connection::open(path).unwrap();
    // SAFETY: the test loads the library it is about.
    let loaded = unsafe {
        LoadExtensionGuard::new(&conn).and_then(|_g| conn.load_extension(&lib, None::<&str>))
    };
    if let Err(e) = loaded {
        panic!("cannot load {lib}: {e}; {INSTALL_HINT}");
    }
    conn
}

/// PostgreSQL 15 with PostGIS available (the test fails, with the hint, if not).
fn postgis_db(hint: &str) -> TestDb {
    let db = cluster(PgVersion::V15).new_db(hint);
    assert!(
        db.has_extension_available("postgis"),
        "PostGIS is not available on PostgreSQL 15: {INSTALL_HINT}"
    );
    db
}

fn migrate(db: &Path, target: &TestDb) -> std::process::Output {
    pgbridge(&["migrate", db.to_str().unwrap(), target.url.as_str()])
}

fn column_type(db: &TestDb, table: &str, column: &str) -> String {
    db.scalar(&format!(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attname = '{column}'"
    ))
}

/// SpatiaLite's `AsEWKB` of `expr` per row id, upper-case hex ('' for NULL).
fn sqlite_ewkb(conn: &Connection, table: &str, expr: &str) -> Vec<(i64, String)> {
    let mut st = conn
        .prepare(&format!(
            "SELECT rowid, coalesce(upper(AsEWKB({expr})), '') FROM {table} ORDER BY rowid"
        ))
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// PostGIS's `ST_AsEWKB` of `column` per key, upper-case hex ('' for NULL).
fn pg_ewkb(db: &TestDb, table: &str, key: &str, column: &str) -> Vec<(i64, String)> {
    db.query(&format!(
        "SELECT {key}, coalesce(upper(encode(ST_AsEWKB({column}), 'hex')), '') FROM {table} ORDER BY {key}"
    ))
    .into_iter()
    .map(|r| (r[0].parse().unwrap(), r[1].clone()))
    .collect()
}

fn spatialite_database(dir: &Path) -> PathBuf {
    let path = dir.join("roads.sqlite");
    let conn = spatialite(&path);
    conn.execute_batch(
        "SELECT InitSpatialMetadata(1);
         CREATE TABLE roads (id INTEGER PRIMARY KEY, name TEXT);
         SELECT AddGeometryColumn('roads', 'geom', 4326, 'LINESTRING', 'XY');
         SELECT AddGeometryColumn('roads', 'area', 4326, 'MULTIPOLYGON', 'XYZ');
         SELECT AddGeometryColumn('roads', 'pt', 3857, 'POINT', 'XYZM');
         SELECT CreateSpatialIndex('roads', 'geom');
         INSERT INTO roads VALUES (1, 'plain',
           GeomFromText('LINESTRING(0 0, 1.5 2.25, 3 3)', 4326),
           GeomFromText('MULTIPOLYGONZ(((0 0 1, 1 0 1, 1 1 1, 0 0 1)),((5 5 0, 6 5 0, 6 6 0, 5 5 0),(5.1 5.1 0, 5.2 5.1 0, 5.2 5.2 0, 5.1 5.1 0)))', 4326),
           GeomFromText('POINTZM(1 2 3 4)', 3857));
         INSERT INTO roads VALUES (2, 'compressed',
           CompressGeometry(GeomFromText('LINESTRING(0 0, 1.1 2.3, 3.7 3.1, 9 9)', 4326)),
           CompressGeometry(GeomFromText('MULTIPOLYGONZ(((0 0 1, 1.3 0 1.1, 1 1.7 1.2, 0 0 1)))', 4326)),
           NULL);
         INSERT INTO roads VALUES (3, 'empty', NULL, NULL, NULL);",
    )
    .unwrap();
    path
}

#[test]
fn spatialite_geometry_becomes_postgis_geometry_value_for_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = spatialite_database(dir.path());
    let db = postgis_db("spatialite");
    let out = migrate(&path, &db);
    assert!(out.status.success(), "{}", text(&out));
    // The psql path cannot decode the blobs: said at compile time.
    assert!(
        text(&out).contains("note[spatialite-psql-load]: 3 SpatiaLite geometry column(s) (roads.geom, roads.area, roads.pt)"),
        "{}",
        text(&out)
    );
    assert_eq!(
        column_type(&db, "roads", "geom"),
        "geometry(LineString,4326)"
    );
    assert_eq!(
        column_type(&db, "roads", "area"),
        "geometry(MultiPolygonZ,4326)"
    );
    assert_eq!(column_type(&db, "roads", "pt"), "geometry(PointZM,3857)");
    assert_eq!(
        db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_roads_geom'"),
        "CREATE INDEX idx_roads_geom ON public.roads USING gist (geom)"
    );
    // SpatiaLite's catalog is not migrated: PostGIS keeps its own.
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'"),
        "1"
    );
    let conn = spatialite(&path);
    for col in ["geom", "area", "pt"] {
        let want = sqlite_ewkb(&conn, "roads", col);
        assert!(want.iter().filter(|(_, h)| !h.is_empty()).count() >= 1);
        assert_eq!(pg_ewkb(&db, "roads", "id", col), want, "column {col}");
    }
}

fn geopackage(dir: &Path, table: &str, column: &str) -> PathBuf {
    let path = dir.join("parcels.gpkg");
    let conn = spatialite(&path);
    conn.execute_batch("SELECT gpkgCreateBaseTables();")
        .unwrap();
    conn.execute(
        &format!(
            "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)",
            common::sql_ident(table)
        ),
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES (?1, 'features', 4326)",
        [table],
    )
    .unwrap();
    conn.query_row(
        "SELECT gpkgAddGeometryColumn(?1, ?2, 'MULTIPOLYGON', 0, 0, 4326)",
        [table, column],
        |_| Ok(()),
    )
    .unwrap();
    conn.query_row(
        "SELECT gpkgAddSpatialIndex(?1, ?2)",
        [table, column],
        |_| Ok(()),
    )
    .unwrap();
    for (name, wkt) in [
        (
            "a",
            Some("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)),((5 5, 6 5, 6 6, 5 5)))"),
        ),
        (
            "b",
            Some("MULTIPOLYGON(((0.1 0.2, 1.3 0, 1 1.7, 0.1 0.2)))"),
        ),
        ("c", None),
    ] {
        conn.execute(
            &format!(
                "INSERT INTO {} (name, {}) VALUES (?1, AsGPB(GeomFromText(?2, 4326)))",
                common::sql_ident(table),
                common::sql_ident(column)
            ),
            rusqlite::params![name, wkt],
        )
        .unwrap();
    }
    path
}

#[test]
fn geopackage_geometry_becomes_postgis_geometry_by_migrate_and_by_psql() {
    let dir = tempfile::tempdir().unwrap();
    let path = geopackage(dir.path(), "parcels", "geom");
    let conn = spatialite(&path);
    let want = sqlite_ewkb(&conn, "parcels", "GeomFromGPB(geom)");
    assert_eq!(want.iter().filter(|(_, h)| !h.is_empty()).count(), 2);

    let db = postgis_db("gpkg");
    let out = migrate(&path, &db);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        column_type(&db, "parcels", "geom"),
        "geometry(MultiPolygon,4326)"
    );
    assert_eq!(pg_ewkb(&db, "parcels", "fid", "geom"), want);
    assert_eq!(
        db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'rtree_parcels_geom'"),
        "CREATE INDEX rtree_parcels_geom ON public.parcels USING gist (geom)"
    );

    // The same set through psql: 02_load.sql's twin reads the header itself.
    let psql_db = postgis_db("gpkg_psql");
    let set = dir.path().join("set");
    let out = pgbridge(&[
        "compile",
        path.to_str().unwrap(),
        "-o",
        set.to_str().unwrap(),
        "--target-url",
        psql_db.url.as_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let o = psql_db.psql_set(
        &set,
        &["01_schema.sql", "02_load.sql", "03_constraints.sql"],
        &path,
    );
    assert!(o.status.success(), "psql: {}", text(&o));
    assert_eq!(pg_ewkb(&psql_db, "parcels", "fid", "geom"), want);
    let out = pgbridge(&["verify", path.to_str().unwrap(), psql_db.url.as_str()]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn without_postgis_geometry_is_bytea_holding_each_blob_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = geopackage(dir.path(), "parcels", "geom");
    let db = cluster(PgVersion::V18).new_db("gpkg_nopostgis");
    assert!(!db.has_extension_available("postgis"));
    let out = migrate(&path, &db);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("warning[geometry-without-postgis]"), "{t}");
    assert!(t.contains("install the postgis extension"), "{t}");
    assert_eq!(column_type(&db, "parcels", "geom"), "bytea");
    let conn = Connection::open(&path).unwrap();
    let want: Vec<Vec<String>> = conn
        .prepare("SELECT fid, coalesce(lower(hex(geom)), '') FROM parcels ORDER BY fid")
        .unwrap()
        .query_map([], |r| Ok(vec![r.get::<_, i64>(0)?.to_string(), r.get(1)?]))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        db.query("SELECT fid, coalesce(encode(geom, 'hex'), '') FROM parcels ORDER BY fid"),
        want
    );
}

#[test]
fn a_broken_rtree_is_a_warning_in_inspect_compile_and_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER); INSERT INTO a VALUES (1, 2);
         CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx); INSERT INTO r VALUES (1, 0, 1);
         PRAGMA writable_schema = 1; DELETE FROM sqlite_schema WHERE name = 'r_node';",
    )
    .unwrap();
    drop(conn);
    let p = path.to_str().unwrap();
    let out = pgbridge(&["inspect", p]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("rtree-shadow-missing"),
        "{}",
        text(&out)
    );
    let set = dir.path().join("set");
    let out = pgbridge(&["compile", p, "-o", set.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("warning[rtree-shadow-missing]"),
        "{}",
        text(&out)
    );
    let db = cluster(PgVersion::V18).new_db("broken_rtree");
    let out = migrate(&path, &db);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(db.scalar("SELECT x FROM a"), "2");
}

#[test]
fn hostile_names_in_a_geopackage_go_through_quoting() {
    let dir = tempfile::tempdir().unwrap();
    let table = "par\"cels;\n--x";
    let column = "ge'om";
    // SpatiaLite's gpkg* helpers do not quote names: the catalog is
    // written by hand, as any other GeoPackage writer may.
    let path = dir.path().join("hostile.gpkg");
    let conn = spatialite(&path);
    let (qt, qc) = (common::sql_ident(table), common::sql_ident(column));
    conn.execute_batch(&format!(
        "SELECT gpkgCreateBaseTables();
         CREATE TABLE {qt} (fid INTEGER PRIMARY KEY, {qc} MULTIPOLYGON);
         CREATE VIRTUAL TABLE {} USING rtree(id, minx, maxx, miny, maxy);",
        common::sql_ident(&format!("rtree_{table}_{column}"))
    ))
    .unwrap();
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES (?1, 'features', 4326)",
        [table],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, 'MULTIPOLYGON', 4326, 0, 0)",
        [table, column],
    )
    .unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO {qt} VALUES (1, AsGPB(GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))', 4326))),
                                 (2, AsGPB(GeomFromText('MULTIPOLYGON(((2 2, 3 2, 3 3, 2 2)))', 4326)));"
    ))
    .unwrap();
    drop(conn);
    let db = postgis_db("gpkg_hostile");
    db.psql("CREATE TABLE sentinel (x int)").unwrap();
    let out = migrate(&path, &db);
    assert!(out.status.success(), "{}", text(&out));
    let q = common::sql_ident(table);
    assert_eq!(
        db.scalar(&format!(
            "SELECT count({}) FROM {q}",
            common::sql_ident(column)
        )),
        "2"
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM pg_indexes WHERE tablename = {} AND indexdef LIKE '%USING gist%'",
            common::sql_literal(table)
        )),
        "1"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM sentinel"), "0");

    // The names also reach comments (decision evidence, the skipped R*Tree's
    // reason) and the GiST index name: no file holds a raw control
    // character, and no line starts with the name's forged continuation.
    let set = dir.path().join("set");
    let out = pgbridge(&[
        "compile",
        path.to_str().unwrap(),
        "-o",
        set.to_str().unwrap(),
        "--extensions",
        "postgis",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).lines().any(|l| l.starts_with("--x")),
        "{}",
        text(&out)
    );
    for f in [
        "01_schema.sql",
        "02_load.sql",
        "03_constraints.sql",
        "04_validate.sql",
    ] {
        let sql = std::fs::read_to_string(set.join(f)).unwrap();
        assert!(sql.contains("cels;"), "{f} does not name the table");
        let bad: Vec<char> = sql
            .chars()
            .filter(|&ch| ch != '\n' && ch != '\t' && pgbridge::ident::is_unsafe_char(ch))
            .collect();
        assert!(bad.is_empty(), "{f} holds raw control characters {bad:?}");
        assert!(
            !sql.lines().any(|l| l.starts_with("--x")),
            "{f} has a line forged by the name"
        );
    }
}
