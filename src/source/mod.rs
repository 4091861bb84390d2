//! source: reads SQLite (a live file or DDL text) into `ir::sqlite`.
pub mod ddl;
pub mod live;
pub mod profile;
