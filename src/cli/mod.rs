//! The command line, a module per command beside `main.rs` (which parses the
//! arguments and dispatches): the text of `--help` (examples, exit codes,
//! environment), the flags every command shares, how a command ends, and
//! one module per subcommand.
pub mod capture;
pub mod common;
pub mod compile;
pub mod completions;
pub mod connect;
pub mod cutover;
pub mod debug;
pub mod diff;
pub mod explain;
pub mod help;
pub mod inspect;
pub mod migrate;
pub mod outcome;
pub mod progress;
pub mod rollback;
pub mod rules;
pub mod sync;
pub mod verify;
