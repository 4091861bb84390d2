//! The command line's parts that are not argument parsing: the text of
//! `--help` (examples, exit codes, environment).
pub mod help;
