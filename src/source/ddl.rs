//! ddl
