//! The command line, a module per command beside `main.rs` (which parses the
//! arguments and dispatches): the text of `--help` (examples, exit codes,
//! environment), and the commands that run against a server.
pub mod help;
pub mod inspect;
pub mod migrate;
pub mod progress;
pub mod verify;
