//! FTS3/FTS4/FTS5 virtual tables: what their declaration says (indexed
//! columns, where the text lives, the tokenizer) and, for an own-content
//! table read from a live file, its rows as a table's: the rowid as its
//! key and the columns `table_xinfo` reports.
//!
//! Invariants: parsing follows SQLite's own reading of the arguments —
//! FTS3 knows only `tokenize=`, so its `content=x` is a column named
//! `content`; FTS5 marks columns `UNINDEXED`, FTS4 names them with
//! `notindexed=`.
use super::ddl::unquote;
use crate::ir::sqlite::{Affinity, Column, KeyConstraint, Table, TableKind};
use std::collections::BTreeSet;

/// Where an FTS table's text lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// In the FTS table's own shadow table.
    Own,
    /// In another table (`content=`), keyed by `content_rowid`.
    External { table: String, rowid: String },
    /// Not stored at all (`content=''`).
    Contentless,
}

/// How the text is split into terms, as PostgreSQL will do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tokenizer {
    /// A text search configuration: `english` (porter) or `simple`.
    Config {
        regconfig: &'static str,
        /// unicode61's `remove_diacritics` (on by default).
        diacritics_folded: bool,
    },
    /// `trigram`: pg_trgm.
    Trigram,
    /// A tokenizer PostgreSQL has no counterpart for (`icu`, custom).
    Unknown(String),
}

/// An FTS table's declaration, from its module arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The indexed columns, in order (UNINDEXED ones left out).
    pub columns: Vec<String>,
    /// Every declared column, in order: auxiliary functions
    /// (`highlight`, `snippet`) number columns among these.
    pub declared: Vec<String>,
    pub content: Content,
    pub tokenizer: Tokenizer,
}

/// Reads the arguments of `CREATE VIRTUAL TABLE … USING fts3|fts4|fts5(…)`.
/// FTS3 knows only `tokenize=`: any other `key=value` is a column named
/// `key`, as SQLite reads it.
pub fn parse(module: &str, args: &[String]) -> Spec {
    let module = module.to_ascii_lowercase();
    let fts5 = module == "fts5";
    let mut columns = Vec::new();
    let mut declared = Vec::new();
    let mut unindexed = BTreeSet::new();
    let mut content = None;
    let mut rowid = "rowid".to_string();
    let mut tokenize = None;
    for a in args {
        let (head, rest) = first_token(a.trim());
        let key = unquote(head).to_ascii_lowercase();
        let value = rest.trim().strip_prefix('=').map(str::trim);
        match (key.as_str(), value) {
            ("tokenize", Some(v)) => tokenize = Some(v.to_string()),
            (_, Some(v)) if module != "fts3" => match key.as_str() {
                "content" => content = Some(unquote(v)),
                "content_rowid" => rowid = unquote(v),
                "notindexed" => {
                    unindexed.insert(unquote(v).to_ascii_lowercase());
                }
                _ => {} // prefix, detail, columnsize, matchinfo, order, …
            },
            _ => {
                let unindexed_here = fts5
                    && rest
                        .split_whitespace()
                        .any(|w| w.eq_ignore_ascii_case("unindexed"));
                if !unindexed_here {
                    columns.push(unquote(head));
                }
                declared.push(unquote(head));
            }
        }
    }
    columns.retain(|c| !unindexed.contains(&c.to_ascii_lowercase()));
    let content = match content {
        None => Content::Own,
        Some(c) if c.is_empty() => Content::Contentless,
        Some(table) => Content::External { table, rowid },
    };
    Spec {
        columns,
        declared,
        content,
        tokenizer: tokenizer(fts5, tokenize.as_deref()),
    }
}

/// The first token of `s` (a quoted name whole) and what follows it.
fn first_token(s: &str) -> (&str, &str) {
    let close = match s.chars().next() {
        Some('"') => Some('"'),
        Some('\'') => Some('\''),
        Some('`') => Some('`'),
        Some('[') => Some(']'),
        _ => None,
    };
    let end = match close {
        Some(q) => {
            // The closing quote; a doubled quote is part of the name.
            let b = s.as_bytes();
            let mut i = 1;
            loop {
                match s[i..].find(q) {
                    Some(j) if q != ']' && b.get(i + j + 1) == Some(&(q as u8)) => i += j + 2,
                    Some(j) => break i + j + 1,
                    None => break s.len(),
                }
            }
        }
        None => s
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(s.len()),
    };
    (&s[..end], &s[end..])
}

/// The tokenizer of a `tokenize=` value: FTS5 writes it as one string
/// (`'porter unicode61 remove_diacritics 2'`), FTS3/4 as words
/// (`unicode61 "remove_diacritics=0"`).
fn tokenizer(fts5: bool, spec: Option<&str>) -> Tokenizer {
    let spec = spec.map(unquote).unwrap_or_default();
    let words: Vec<String> = spec
        .split_whitespace()
        .map(|w| unquote(w).to_ascii_lowercase())
        .collect();
    let first = words.first().map(String::as_str);
    let first = first.unwrap_or(if fts5 { "unicode61" } else { "simple" });
    // remove_diacritics 0 (FTS5) or remove_diacritics=0 (FTS4) turns it off.
    let kept = words.iter().enumerate().any(|(i, w)| {
        w == "remove_diacritics=0"
            || (w == "remove_diacritics" && words.get(i + 1).map(String::as_str) == Some("0"))
    });
    let unicode61 = words.iter().any(|w| w == "unicode61") || (fts5 && words.len() <= 1);
    match first {
        "porter" => Tokenizer::Config {
            regconfig: "english",
            diacritics_folded: unicode61 && !kept,
        },
        "unicode61" | "ascii" | "simple" => Tokenizer::Config {
            regconfig: "simple",
            diacritics_folded: first == "unicode61" && !kept,
        },
        "trigram" => Tokenizer::Trigram,
        other => Tokenizer::Unknown(other.to_string()),
    }
}

/// The FTS table's spec, when `t` is an FTS3/FTS4/FTS5 virtual table.
pub fn spec_of(t: &Table) -> Option<Spec> {
    match &t.kind {
        TableKind::Virtual { module, args }
            if matches!(
                module.to_ascii_lowercase().as_str(),
                "fts3" | "fts4" | "fts5"
            ) =>
        {
            Some(parse(module, args))
        }
        _ => None,
    }
}

/// Is `t` an FTS table that keeps its own text (no `content=`)?
pub fn is_own_content(t: &Table) -> bool {
    spec_of(t).is_some_and(|s| s.content == Content::Own)
}

/// Makes an own-content FTS table read from a live file (its columns from
/// `table_xinfo`) a readable table: its rowid becomes an `INTEGER PRIMARY
/// KEY` column `rowid` (the key applications join on), its hidden columns
/// (the table-named one, `rank`, `docid`, `__langid`) stay hidden.
pub fn apply(t: &mut Table) {
    if t.columns.iter().all(|c| c.hidden)
        || t.columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case("rowid"))
    {
        return;
    }
    let mut rowid = Column::new("rowid");
    rowid.declared = "INTEGER".into();
    rowid.type_name = "INTEGER".into();
    rowid.affinity = Affinity::Integer;
    rowid.not_null = true;
    rowid.pk_position = 1;
    rowid.rowid_alias = true;
    t.columns.insert(0, rowid);
    t.primary_key = Some(KeyConstraint {
        name: None,
        columns: vec!["rowid".into()],
    });
    t.readable = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn fts5_external_content_with_a_quoted_column_and_porter() {
        let s = parse(
            "FTS5",
            &args(&[
                "text1",
                "[name with . and spaces]",
                "extra UNINDEXED",
                "content=\"searchable\"",
                "content_rowid=\"pk\"",
                "tokenize='porter unicode61 remove_diacritics 2'",
                "prefix='2 3'",
            ]),
        );
        assert_eq!(s.columns, vec!["text1", "name with . and spaces"]);
        assert_eq!(s.declared, vec!["text1", "name with . and spaces", "extra"]);
        assert_eq!(
            s.content,
            Content::External {
                table: "searchable".into(),
                rowid: "pk".into()
            }
        );
        assert_eq!(
            s.tokenizer,
            Tokenizer::Config {
                regconfig: "english",
                diacritics_folded: true
            }
        );
    }

    #[test]
    fn fts3_reads_content_as_a_column_and_fts4_as_an_option() {
        let a = args(&["text1", "text2", "content=\"searchable\""]);
        let s3 = parse("FTS3", &a);
        assert_eq!(s3.columns, vec!["text1", "text2", "content"]);
        assert_eq!(s3.content, Content::Own);
        let s4 = parse("fts4", &a);
        assert_eq!(s4.columns, vec!["text1", "text2"]);
        assert!(matches!(s4.content, Content::External { .. }));
        assert_eq!(
            s4.tokenizer,
            Tokenizer::Config {
                regconfig: "simple",
                diacritics_folded: false
            }
        );
    }

    #[test]
    fn tokenizers_map_to_configurations() {
        let tok = |m: &str, t: &str| parse(m, &args(&["a", t])).tokenizer;
        assert_eq!(
            tok("fts5", "tokenize = 'unicode61 remove_diacritics 0'"),
            Tokenizer::Config {
                regconfig: "simple",
                diacritics_folded: false
            }
        );
        assert_eq!(
            tok("fts4", "tokenize=unicode61 \"remove_diacritics=2\""),
            Tokenizer::Config {
                regconfig: "simple",
                diacritics_folded: true
            }
        );
        assert_eq!(
            tok("fts4", "tokenize=porter").tokenizer_config(),
            Some("english")
        );
        assert_eq!(tok("fts5", "tokenize='trigram'"), Tokenizer::Trigram);
        assert_eq!(
            tok("fts5", "tokenize='icu th_TH'"),
            Tokenizer::Unknown("icu".into())
        );
        assert_eq!(
            parse("fts5", &args(&["a", "content=''"])).content,
            Content::Contentless
        );
        assert_eq!(
            parse("fts5", &args(&["a"])).tokenizer,
            Tokenizer::Config {
                regconfig: "simple",
                diacritics_folded: true
            }
        );
    }

    #[test]
    fn quoted_names_keep_doubled_quotes_and_spaces() {
        assert_eq!(first_token("\"a\"\"b c\" x"), ("\"a\"\"b c\"", " x"));
        assert_eq!(first_token("[a b]=1"), ("[a b]", "=1"));
        assert_eq!(first_token("content='x'"), ("content", "='x'"));
    }

    impl Tokenizer {
        fn tokenizer_config(&self) -> Option<&'static str> {
            match self {
                Tokenizer::Config { regconfig, .. } => Some(regconfig),
                _ => None,
            }
        }
    }
}
