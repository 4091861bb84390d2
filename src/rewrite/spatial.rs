//! Spatial indexes: the R*Tree that indexed a geometry column in SQLite
//! becomes a GiST index on the column, when the column became PostGIS
//! `geometry`.
//!
//! Reads each migrated table's SQLite columns (their catalog geometry
//! facts) and its decided PostgreSQL columns; writes one `USING gist`
//! [`pg::Index`] per indexed geometry column, named after the R*Tree table
//! (`rtree_<table>_<column>`, `idx_<table>_<column>`). A column kept as
//! bytea (no PostGIS) gets none: its rule's warning says so.
use super::pass::naming::Namer;
use crate::diag::Diagnostics;
use crate::ident::quote_ident;
use crate::ir::{pg, sqlite};
use crate::source::spatial::rtree_name;
use std::collections::BTreeSet;

pub(super) fn spatial_indexes(
    t: &sqlite::Table,
    pt: &pg::Table,
    namer: &Namer,
    relnames: &mut BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Vec<pg::Index> {
    let mut out = Vec::new();
    for c in &t.columns {
        let Some(g) = c.geometry.as_ref().filter(|g| g.spatial_index) else {
            continue;
        };
        let Some(pc) = pt
            .columns
            .iter()
            .find(|p| p.source_name.eq_ignore_ascii_case(&c.name))
            .filter(|p| p.pg_type.starts_with("geometry"))
        else {
            continue;
        };
        let rtree = rtree_name(g.format, &t.name, &c.name);
        out.push(pg::Index {
            name: namer.name(&rtree, relnames, "index", diags),
            table: pt.name.clone(),
            unique: false,
            using: "gist".into(),
            elements: vec![quote_ident(&pc.name)],
            where_clause: None,
            decisions: vec![pg::Decision {
                rule: "spatial-index".into(),
                evidence: format!(
                    "R*Tree table {rtree} indexed {}.{} in SQLite",
                    t.name, c.name
                ),
                obvious: false,
            }],
        });
    }
    out
}

/// SpatiaLite's catalog views (`InitSpatialMetadata`): views over its
/// catalog tables, which are not migrated.
const SPATIALITE_VIEWS: &[&str] = &[
    "geom_cols_ref_sys",
    "spatial_ref_sys_all",
    "vector_layers",
    "vector_layers_auth",
    "vector_layers_field_infos",
    "vector_layers_statistics",
];

/// Trigger name prefixes the spatial packages create per geometry column
/// (`<prefix><table>_<column>…`): SpatiaLite's geometry constraints,
/// R*Tree and catalog-time maintenance; GeoPackage's R*Tree maintenance
/// and geometry type/SRS triggers.
const MACHINERY_TRIGGERS: &[&str] = &[
    "ggi_", "ggu_", "gii_", "giu_", "gid_", "gci_", "gcu_", "gcd_", "tmi_", "tmu_", "tmd_",
    "rtree_", "fgti_", "fgtu_", "fgsi_", "fgsu_",
];

/// Why a trigger is spatial-package machinery rather than application
/// behaviour, if it is: it sits on a table that is not migrated, or it is
/// one of the per-column triggers of [`MACHINERY_TRIGGERS`].
pub(super) fn machinery_trigger(schema: &sqlite::Schema, tr: &sqlite::Trigger) -> Option<String> {
    let table = schema
        .tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(&tr.table))?;
    if let sqlite::TableKind::Internal { reason } = &table.kind {
        return Some(format!(
            "its table `{}` is not migrated: {reason}",
            table.name
        ));
    }
    let name = tr.name.to_ascii_lowercase();
    if name.starts_with("gpkg_") && table.name.to_ascii_lowercase().starts_with("gpkg_") {
        return Some(format!(
            "GeoPackage specification trigger checking its catalog table `{}`",
            table.name
        ));
    }
    table
        .columns
        .iter()
        .filter(|c| c.geometry.is_some())
        .find(|c| {
            let suffix = format!("{}_{}", table.name, c.name).to_ascii_lowercase();
            MACHINERY_TRIGGERS.iter().any(|p| {
                name.strip_prefix(p)
                    .is_some_and(|rest| rest == suffix || rest.starts_with(&format!("{suffix}_")))
            })
        })
        .map(|c| {
            format!(
                "spatial-package trigger maintaining {}.{} (its type checks and index are PostGIS's on geometry)",
                table.name, c.name
            )
        })
}

/// Why a view is a spatial catalog view, if it is.
pub(super) fn machinery_view(schema: &sqlite::Schema, v: &sqlite::View) -> Option<String> {
    let spatialite = schema.tables.iter().any(|t| {
        t.name.eq_ignore_ascii_case("geometry_columns")
            && matches!(t.kind, sqlite::TableKind::Internal { .. })
    });
    (spatialite && SPATIALITE_VIEWS.contains(&v.name.to_ascii_lowercase().as_str()))
        .then(|| "SpatiaLite catalog view over tables that are not migrated".to_string())
}
