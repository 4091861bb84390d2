//! APP_IMPACT.md's full-text entries: for each FTS table translated to a
//! generated `tsvector` column, the application's SQLite query forms
//! (`MATCH`, prefix, phrase, AND/OR/NOT, NEAR, a column filter, `rank` and
//! `bm25()`, `highlight()`/`snippet()`, the rowid join) next to their
//! PostgreSQL statements, and what differs in meaning.
//!
//! Input: `ir::pg::Schema::full_text`. Output: one [`FullTextEntry`] per
//! table, rendered by templates/APP_IMPACT.md.j2. Every statement selects
//! the rowid (PostgreSQL: the key) first and binds the query as `$1`; the
//! example values use the words `alpha` and `beta`. Names reach the SQL
//! only through [`ident::quote_ident`] (PostgreSQL) or [`sqlite_name`].
use super::impact::sqlite_name;
use crate::ident::{quote_ident, quote_literal};
use crate::ir::pg::{FullText, FullTextColumn};
use serde::Serialize;

/// One FTS table's entry. SQL fields go through the `code` filter; every
/// other field is escaped as Markdown text.
#[derive(Serialize)]
pub struct FullTextEntry {
    /// The SQLite FTS table.
    name: String,
    table: String,
    column: String,
    key: String,
    config: String,
    forms: Vec<Form>,
    differences: Vec<String>,
}

/// One query form: the SQLite statement and its bound query, the
/// PostgreSQL statement and its bound query.
#[derive(Serialize)]
struct Form {
    label: String,
    sqlite: String,
    sqlite_binds: String,
    pg: String,
    pg_binds: String,
    note: &'static str,
}

/// The statements of one table, with the names quoted once.
struct Names {
    /// SQLite: the FTS table.
    fts: String,
    /// PostgreSQL: `SELECT key FROM table WHERE vector @@ `.
    select: String,
    key: String,
    table: String,
    vector: String,
    cfg: String,
}

impl Names {
    fn new(f: &FullText) -> Names {
        let key = if f.key.is_empty() {
            "*".to_string()
        } else {
            quote_ident(&f.key)
        };
        let (table, vector) = (quote_ident(&f.table), quote_ident(&f.column));
        Names {
            fts: sqlite_name(&f.source),
            select: format!("SELECT {key} FROM {table} WHERE {vector} @@ "),
            key,
            table,
            vector,
            cfg: quote_literal(&quote_ident(&f.config)),
        }
    }

    /// `function(cfg, $1)`.
    fn query(&self, function: &str) -> String {
        format!("{function}({}, $1)", self.cfg)
    }

    fn matching(&self) -> String {
        format!("SELECT rowid FROM {0} WHERE {0} MATCH $1", self.fts)
    }

    /// A form whose two statements are the plain MATCH and `@@ function(…)`.
    fn plain(&self, label: &str, sqlite_binds: &str, function: &str, pg_binds: &str) -> Form {
        Form {
            label: label.into(),
            sqlite: self.matching(),
            sqlite_binds: sqlite_binds.into(),
            pg: format!("{}{}", self.select, self.query(function)),
            pg_binds: pg_binds.into(),
            note: "",
        }
    }
}

pub fn entry(f: &FullText) -> FullTextEntry {
    let n = Names::new(f);
    let fts5 = f.module == "fts5";
    let mut forms = vec![
        n.plain("a word", "'alpha'", "plainto_tsquery", "'alpha'"),
        n.plain(
            "all of several words",
            "'alpha beta'",
            "plainto_tsquery",
            "'alpha beta'",
        ),
        n.plain("a prefix", "'alp*'", "to_tsquery", "'alp:*'"),
        n.plain(
            "a phrase",
            "'\"alpha beta\"'",
            "phraseto_tsquery",
            "'alpha beta'",
        ),
        n.plain("AND", "'alpha AND beta'", "to_tsquery", "'alpha & beta'"),
        n.plain("OR", "'alpha OR beta'", "to_tsquery", "'alpha | beta'"),
        n.plain("NOT", "'alpha NOT beta'", "to_tsquery", "'alpha & !beta'"),
        n.plain(
            "NEAR",
            if fts5 {
                "'NEAR(alpha beta, 2)'"
            } else {
                "'alpha NEAR/2 beta'"
            },
            "to_tsquery",
            "'alpha <1> beta | alpha <2> beta | alpha <3> beta | beta <1> alpha | beta <2> alpha | beta <3> alpha'",
        ),
    ];
    if !fts5 {
        forms[6].note = "(SQLite's enhanced query syntax; the standard one writes 'alpha -beta')";
    }
    forms[7].note = "(at most 2 words between, either order)";
    forms.extend(f.columns.iter().map(|c| column_filter(&n, c)));
    if fts5 {
        forms.extend(ranked(&n));
    }
    if let Some(c) = f.columns.first() {
        forms.extend(headlines(&n, c, fts5));
    }
    if let Some((content, rowid)) = &f.content {
        forms.push(Form {
            label: "the content rows".into(),
            sqlite: format!(
                "SELECT c.* FROM {0} JOIN {1} AS c ON c.{2} = {0}.rowid WHERE {0} MATCH $1",
                n.fts,
                sqlite_name(content),
                sqlite_name(rowid)
            ),
            sqlite_binds: "'alpha'".into(),
            pg: format!(
                "SELECT * FROM {} WHERE {} @@ {}",
                n.table,
                n.vector,
                n.query("plainto_tsquery")
            ),
            pg_binds: "'alpha'".into(),
            note: "(no join: the vector is on the row, and * now includes it)",
        });
    }
    FullTextEntry {
        name: f.source.clone(),
        table: f.table.clone(),
        column: f.column.clone(),
        key: f.key.clone(),
        config: f.config.clone(),
        forms,
        differences: differences(f),
    }
}

/// `col MATCH 'alpha'` (FTS5's `col : alpha`): the table's vector finds
/// the rows through the index, the column's own vector keeps those where
/// the column matches.
fn column_filter(n: &Names, c: &FullTextColumn) -> Form {
    let q = n.query("plainto_tsquery");
    Form {
        label: format!("only column {}", c.source),
        sqlite: format!(
            "SELECT rowid FROM {} WHERE {} MATCH $1",
            n.fts,
            sqlite_name(&c.source)
        ),
        sqlite_binds: "'alpha'".into(),
        pg: format!("{}{q} AND {} @@ {q}", n.select, c.vector),
        pg_binds: "'alpha'".into(),
        note: "",
    }
}

/// `ORDER BY rank` and `ORDER BY bm25(t)`: `ts_rank_cd … DESC`.
fn ranked(n: &Names) -> Vec<Form> {
    let q = n.query("plainto_tsquery");
    let pg = format!(
        "{}{q} ORDER BY ts_rank_cd({}, {q}) DESC",
        n.select, n.vector
    );
    ["rank".to_string(), format!("bm25({})", n.fts)]
        .into_iter()
        .map(|order| Form {
            label: format!("ORDER BY {order}"),
            sqlite: format!("{} ORDER BY {order}", n.matching()),
            sqlite_binds: "'alpha'".into(),
            pg: pg.clone(),
            pg_binds: "'alpha'".into(),
            note: "(bm25 is better when lower, ts_rank_cd when higher: DESC; the scores differ)",
        })
        .collect()
}

/// `highlight()` (FTS5) and `snippet()` on the first indexed column:
/// `ts_headline`.
fn headlines(n: &Names, c: &FullTextColumn, fts5: bool) -> Vec<Form> {
    let q = n.query("plainto_tsquery");
    let headline = |options: &str| {
        format!(
            "SELECT {}, ts_headline({}, {}, {q}, '{options}') FROM {} WHERE {} @@ {q}",
            n.key, n.cfg, c.text, n.table, n.vector
        )
    };
    let with = |function: String| {
        format!(
            "SELECT rowid, {function} FROM {0} WHERE {0} MATCH $1",
            n.fts
        )
    };
    let i = c.position;
    let mut forms = Vec::new();
    if fts5 {
        forms.push(Form {
            label: format!("highlight() of {}", c.source),
            sqlite: with(format!("highlight({}, {i}, '<b>', '</b>')", n.fts)),
            sqlite_binds: "'alpha'".into(),
            pg: headline("HighlightAll=true, StartSel=<b>, StopSel=</b>"),
            pg_binds: "'alpha'".into(),
            note: "",
        });
    }
    let snippet = if fts5 {
        format!("snippet({}, {i}, '<b>', '</b>', '…', 10)", n.fts)
    } else {
        format!("snippet({}, '<b>', '</b>', '…', {i}, 10)", n.fts)
    };
    forms.push(Form {
        label: format!("snippet() of {}", c.source),
        sqlite: with(snippet),
        sqlite_binds: "'alpha'".into(),
        pg: headline("StartSel=<b>, StopSel=</b>, MaxWords=10, MinWords=5"),
        pg_binds: "'alpha'".into(),
        note: "(the fragments chosen differ)",
    });
    forms
}

/// What differs in meaning between SQLite's tokenizer and the
/// configuration, for this table.
fn differences(f: &FullText) -> Vec<String> {
    let mut d = Vec::new();
    if f.stemmed {
        d.push(
            "Stemming: SQLite's porter and PostgreSQL's english (snowball) stemmers differ on \
             some words (porter stems one to on, english keeps it)."
                .to_string(),
        );
        d.push(
            "Stop words: english drops the, a, of and the like, porter keeps them: a stop word \
             alone matches no row, and a phrase matches with any word in its place."
                .to_string(),
        );
    }
    match (f.diacritics_folded, f.unaccent) {
        (true, true) => d.push(
            "Diacritics: removed on both sides (the configuration maps words through unaccent)."
                .to_string(),
        ),
        (true, false) => d.push(format!(
            "Diacritics: SQLite removes them (café matches cafe), the {} configuration keeps \
             them; with the unaccent extension on the target, compile again with it listed in \
             --extensions.",
            f.config
        )),
        _ => {}
    }
    d.push(
        "Tokens: punctuation separates words on both sides (the generated column turns it into \
         spaces). to_tsquery reads & | ! <N> :* as operators: bind words the application \
         checked, or websearch_to_tsquery for text a user typed."
            .to_string(),
    );
    if f.columns.len() > 1 {
        d.push(
            "NEAR: positions run on from one column to the next in the vector, so <2> and more \
             can pair the last word of one column with the first of the next; SQLite's NEAR \
             stays within a column."
                .to_string(),
        );
    }
    if f.module == "fts5" {
        d.push(
            "Ranking: rank is bm25 (lower is better); ts_rank_cd is higher for better matches, \
             so the order is DESC. The best hits mostly agree, the scores do not."
                .to_string(),
        );
    } else {
        d.push(format!(
            "Ranking: {} has no rank or bm25() (applications rank with matchinfo()); in \
             PostgreSQL order by ts_rank_cd(vector, query) DESC.",
            f.module
        ));
    }
    d
}
