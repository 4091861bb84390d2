//! Spatial catalogs: which columns hold GeoPackage or SpatiaLite geometry.
//!
//! **Reads** a live file's `gpkg_geometry_columns` (GeoPackage) or
//! `geometry_columns` (SpatiaLite, current and legacy layouts) and the
//! R*Tree virtual tables both packages keep as spatial indexes
//! (`rtree_<table>_<column>`, `idx_<table>_<column>`). **Writes**
//! [`GeometryColumn`] onto each catalogued column, marks those R*Tree
//! tables and SpatiaLite's own catalog tables [`TableKind::Internal`] (the
//! facts they hold travel with the column's type; an index becomes a GiST
//! index when the column becomes `geometry`).
//!
//! A catalog row naming a table or column that does not exist is a
//! warning; a catalog that cannot be read is a warning and leaves the
//! columns as they are (the blob rules keep their values as bytea).
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ir::sqlite::{GeometryColumn, GeometryFormat, Schema, TableKind};
use rusqlite::Connection;

/// SpatiaLite's catalog and support tables (`InitSpatialMetadata`,
/// SpatiaLite 4 and 5): not application data.
const SPATIALITE_CATALOG: &[&str] = &[
    "data_licenses",
    "geometry_columns",
    "geometry_columns_auth",
    "geometry_columns_field_infos",
    "geometry_columns_statistics",
    "geometry_columns_time",
    "layer_params",
    "layer_statistics",
    "layer_sub_classes",
    "layer_table_layout",
    "networks",
    "raster_coverages",
    "raster_coverages_keyword",
    "raster_coverages_srid",
    "rl2map_configurations",
    "se_external_graphics",
    "se_fonts",
    "se_raster_styled_layers",
    "se_raster_styles",
    "se_vector_styled_layers",
    "se_vector_styles",
    "spatial_ref_sys",
    "spatial_ref_sys_aux",
    "spatialite_history",
    "sql_statements_log",
    "stored_procedures",
    "stored_variables",
    "topologies",
    "vector_coverages",
    "vector_coverages_keyword",
    "vector_coverages_srid",
    "views_geometry_columns",
    "views_geometry_columns_auth",
    "views_geometry_columns_field_infos",
    "views_geometry_columns_statistics",
    "views_layer_statistics",
    "virts_geometry_columns",
    "virts_geometry_columns_auth",
    "virts_geometry_columns_field_infos",
    "virts_geometry_columns_statistics",
    "virts_layer_statistics",
    "wms_getcapabilities",
    "wms_getmap",
    "wms_ref_sys",
    "wms_settings",
];

/// GeoPackage reserves the `gpkg_` prefix for its own tables (contents,
/// SRS, geometry columns, extensions, tile matrices, metadata): the
/// package's catalog, which PostGIS's own replaces.
const GEOPACKAGE_PREFIX: &str = "gpkg_";

/// SpatiaLite's own virtual tables (`InitSpatialMetadata`): query helpers
/// over other tables, holding no data of their own.
const SPATIALITE_VIRTUAL: &[&str] = &["elementarygeometries", "knn", "knn2", "spatialindex"];

/// One catalog row: table, column and what it says of the column.
struct Entry {
    table: String,
    column: String,
    geometry: GeometryColumn,
}

/// Reads the spatial catalogs of `conn` into `schema` (see the module docs).
pub fn read(conn: &Connection, schema: &mut Schema, diags: &mut Diagnostics) {
    broken_rtrees(schema, diags);
    let has = |name: &str| {
        schema
            .tables
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(name) && matches!(t.kind, TableKind::Ordinary))
    };
    let geopackage = has("gpkg_geometry_columns");
    let mut entries = Vec::new();
    if geopackage {
        match geopackage_entries(conn) {
            Ok(e) => entries.extend(e),
            Err(e) => diags.push(unreadable("gpkg_geometry_columns", &e)),
        }
    }
    let spatialite = has("geometry_columns") && has("spatial_ref_sys");
    if spatialite {
        match spatialite_entries(conn) {
            Ok(e) => entries.extend(e),
            Err(e) => diags.push(unreadable("geometry_columns", &e)),
        }
    }
    for mut e in entries {
        let index = rtree_index(schema, &e);
        e.geometry.spatial_index = index.is_some();
        if let Some(i) = index {
            schema.tables[i].kind = TableKind::Internal {
                reason: format!(
                    "R*Tree spatial index of {}.{} (a GiST index on PostGIS)",
                    e.table, e.column
                ),
            };
        }
        attach(schema, e, diags);
    }
    for t in &mut schema.tables {
        let lower = t.name.to_ascii_lowercase();
        let catalog = match t.kind {
            TableKind::Ordinary if spatialite && SPATIALITE_CATALOG.contains(&lower.as_str()) => {
                "SpatiaLite"
            }
            TableKind::Ordinary if geopackage && lower.starts_with(GEOPACKAGE_PREFIX) => {
                "GeoPackage"
            }
            TableKind::Virtual { .. }
                if spatialite && SPATIALITE_VIRTUAL.contains(&lower.as_str()) =>
            {
                "SpatiaLite"
            }
            _ => continue,
        };
        t.kind = TableKind::Internal {
            reason: format!(
                "{catalog} catalog table {} (its facts travel with the geometry columns' types)",
                t.name
            ),
        };
        // Its columns were unreadable without the package's module: no
        // matter, it is not migrated.
        forget_unreadable(diags, &t.name);
    }
}

/// An R*Tree whose shadow tables are gone (a damaged file, or a copy that
/// dropped them) cannot be read: a warning, and it is not migrated — it is
/// an index, rebuilt from its data.
fn broken_rtrees(schema: &mut Schema, diags: &mut Diagnostics) {
    let names: Vec<String> = schema
        .tables
        .iter()
        .map(|t| t.name.to_ascii_lowercase())
        .collect();
    for t in &mut schema.tables {
        let TableKind::Virtual { module, .. } = &t.kind else {
            continue;
        };
        if !matches!(module.to_ascii_lowercase().as_str(), "rtree" | "rtree_i32") {
            continue;
        }
        let missing: Vec<String> = ["node", "rowid", "parent"]
            .iter()
            .map(|s| format!("{}_{s}", t.name))
            .filter(|n| !names.contains(&n.to_ascii_lowercase()))
            .collect();
        if missing.is_empty() {
            continue;
        }
        diags.push(
            Diagnostic::warning(
                Stage::Source,
                "rtree-shadow-missing",
                format!(
                    "R*Tree table {} lacks its shadow table(s) {}: the index is broken and is not migrated",
                    t.name,
                    missing.join(", ")
                ),
            )
            .with_help("an R*Tree is an index over other data: rebuild it in PostgreSQL (a GiST index), or drop it in SQLite")
            .on(t.name.clone()),
        );
        forget_unreadable(diags, &t.name);
        t.kind = TableKind::Internal {
            reason: format!("broken R*Tree {} (missing {})", t.name, missing.join(", ")),
        };
    }
}

/// Drops the source stage's `table-info-unavailable` warning for `table`,
/// which this pass has found to be no data of the application's.
fn forget_unreadable(diags: &mut Diagnostics, table: &str) {
    diags.0.retain(|d| {
        !(d.code == "table-info-unavailable" && d.span.object.as_deref() == Some(table))
    });
}

fn unreadable(table: &str, e: &rusqlite::Error) -> Diagnostic {
    Diagnostic::warning(
        Stage::Source,
        "spatial-catalog-unreadable",
        format!("cannot read the spatial catalog {table}: {e}"),
    )
    .with_help("geometry columns then keep their blobs exactly as bytea; check the file with `pgbridge inspect`")
    .on(table.to_string())
}

/// The name of the R*Tree table each package keeps as a column's spatial
/// index.
pub fn rtree_name(format: GeometryFormat, table: &str, column: &str) -> String {
    match format {
        GeometryFormat::Geopackage => format!("rtree_{table}_{column}"),
        GeometryFormat::Spatialite => format!("idx_{table}_{column}"),
    }
}

/// The index of the R*Tree table that indexes `e`'s column, if any.
fn rtree_index(schema: &Schema, e: &Entry) -> Option<usize> {
    let name = rtree_name(e.geometry.format, &e.table, &e.column);
    schema.tables.iter().position(|t| {
        t.name.eq_ignore_ascii_case(&name)
            && matches!(&t.kind, TableKind::Virtual { module, .. } if module.eq_ignore_ascii_case("rtree"))
    })
}

/// Puts `e` on its column, or warns that the catalog names nothing.
fn attach(schema: &mut Schema, e: Entry, diags: &mut Diagnostics) {
    let column = schema
        .tables
        .iter_mut()
        .filter(|t| matches!(t.kind, TableKind::Ordinary))
        .find(|t| t.name.eq_ignore_ascii_case(&e.table))
        .and_then(|t| {
            t.columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&e.column))
        });
    match column {
        Some(c) => c.geometry = Some(e.geometry),
        None => diags.push(
            Diagnostic::warning(
                Stage::Source,
                "spatial-catalog-dangling",
                format!(
                    "the spatial catalog names geometry column {}.{}, which does not exist",
                    e.table, e.column
                ),
            )
            .with_help("the catalog row is ignored; remove it in SQLite if the layer was dropped")
            .on(e.table.clone()),
        ),
    }
}

/// `gpkg_geometry_columns`: `z`/`m` are 0 prohibited, 1 mandatory, 2 optional.
fn geopackage_entries(conn: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let mut st = conn.prepare(
        "SELECT table_name, column_name, geometry_type_name, srs_id, z, m \
         FROM gpkg_geometry_columns ORDER BY table_name, column_name",
    )?;
    let rows = st.query_map([], |r| {
        let dim = |v: Option<i64>| match v {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        };
        Ok(Entry {
            table: r.get(0)?,
            column: r.get(1)?,
            geometry: GeometryColumn {
                format: GeometryFormat::Geopackage,
                geometry_type: r
                    .get::<_, Option<String>>(2)?
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
                z: dim(r.get(4)?),
                m: dim(r.get(5)?),
                srid: srid(r.get(3)?),
                spatial_index: false,
            },
        })
    })?;
    rows.collect()
}

/// `geometry_columns` of SpatiaLite 4+ (`geometry_type` integer, ISO codes)
/// or of SpatiaLite 2/3 (`type` text, `coord_dimension` text or integer).
fn spatialite_entries(conn: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let columns: Vec<String> = conn
        .prepare("SELECT lower(name) FROM pragma_table_info('geometry_columns')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let modern = columns.iter().any(|c| c == "geometry_type");
    let sql = if modern {
        "SELECT f_table_name, f_geometry_column, geometry_type, coord_dimension, srid \
         FROM geometry_columns ORDER BY 1, 2"
    } else {
        "SELECT f_table_name, f_geometry_column, type, coord_dimension, srid \
         FROM geometry_columns ORDER BY 1, 2"
    };
    let mut st = conn.prepare(sql)?;
    let rows = st.query_map([], |r| {
        let (geometry_type, z, m) = if modern {
            iso_code(r.get::<_, Option<i64>>(2)?.unwrap_or(0))
        } else {
            legacy_type(
                &r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                &r.get::<_, rusqlite::types::Value>(3)?,
            )
        };
        Ok(Entry {
            table: r.get(0)?,
            column: r.get(1)?,
            geometry: GeometryColumn {
                format: GeometryFormat::Spatialite,
                geometry_type,
                z: Some(z),
                m: Some(m),
                srid: srid(r.get(4)?),
                spatial_index: false,
            },
        })
    })?;
    rows.collect()
}

/// A catalog SRID: 0 or less (GeoPackage's -1 and 0, SpatiaLite's -1) is
/// undefined, PostGIS's 0.
fn srid(v: Option<i64>) -> i32 {
    v.and_then(|s| i32::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(0)
}

/// Base geometry type names by ISO WKB code.
pub const TYPE_NAMES: &[(u32, &str)] = &[
    (0, "GEOMETRY"),
    (1, "POINT"),
    (2, "LINESTRING"),
    (3, "POLYGON"),
    (4, "MULTIPOINT"),
    (5, "MULTILINESTRING"),
    (6, "MULTIPOLYGON"),
    (7, "GEOMETRYCOLLECTION"),
];

/// An ISO code (`1003` = POLYGON Z) as (type, z, m).
fn iso_code(code: i64) -> (String, bool, bool) {
    let base = u32::try_from(code.rem_euclid(1000)).unwrap_or(0);
    let name = TYPE_NAMES
        .iter()
        .find(|(c, _)| *c == base)
        .map(|(_, n)| *n)
        .unwrap_or("GEOMETRY");
    let (z, m) = match code / 1000 {
        1 => (true, false),
        2 => (false, true),
        3 => (true, true),
        _ => (false, false),
    };
    (name.to_string(), z, m)
}

/// SpatiaLite 2/3: `type` text, `coord_dimension` `XY`/`XYZ`/`XYM`/`XYZM`
/// or 2/3/4.
fn legacy_type(t: &str, dims: &rusqlite::types::Value) -> (String, bool, bool) {
    use rusqlite::types::Value as V;
    let (z, m) = match dims {
        V::Text(s) => {
            let s = s.to_ascii_uppercase();
            (s.contains('Z'), s.contains('M'))
        }
        V::Integer(3) => (true, false),
        V::Integer(4) => (true, true),
        _ => (false, false),
    };
    let name = t.trim().to_ascii_uppercase();
    let known = TYPE_NAMES.iter().any(|(_, n)| *n == name);
    (if known { name } else { "GEOMETRY".into() }, z, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_codes_and_legacy_types_read_as_type_and_dimensions() {
        assert_eq!(iso_code(1), ("POINT".into(), false, false));
        assert_eq!(iso_code(1003), ("POLYGON".into(), true, false));
        assert_eq!(iso_code(2002), ("LINESTRING".into(), false, true));
        assert_eq!(iso_code(3006), ("MULTIPOLYGON".into(), true, true));
        assert_eq!(iso_code(0), ("GEOMETRY".into(), false, false));
        use rusqlite::types::Value as V;
        assert_eq!(
            legacy_type("point", &V::Text("XYZ".into())),
            ("POINT".into(), true, false)
        );
        assert_eq!(
            legacy_type("CURVE", &V::Integer(4)),
            ("GEOMETRY".into(), true, true)
        );
        assert_eq!(srid(Some(-1)), 0);
        assert_eq!(srid(Some(4326)), 4326);
        assert_eq!(srid(None), 0);
    }
}
