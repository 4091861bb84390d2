//! Full text: each FTS3/FTS4/FTS5 virtual table the `table` rules hand
//! over (`action: fts`) becomes a stored generated `tsvector` column and a
//! GIN index (docs/fts.md).
//!
//! Reads `fts` (the table pass), the FTS table's module arguments
//! ([`crate::source::fts`]) and `out.tables`; writes a generated column
//! named after the FTS table, plus a GIN index in `out.indexes` (for
//! `tokenize=trigram`: a `gin_trgm_ops` index on the text columns
//! instead), on the content table of an external-content table
//! (`content=`) or on the own-content table itself (migrated as a table,
//! `rowid` its key, when read from a live file). A contentless table
//! (`content=''`), an own-content table known only from DDL, or one whose
//! content table, columns or tokenizer have no counterpart is kept as a
//! comment with `fts-kept-as-comment` naming what to do. Shadow tables
//! are never migrated (`sqlite-internal-table`). When unicode61 folded
//! diacritics and the target lists `unaccent`, the column names a copy of
//! its configuration that maps words through `unaccent` first
//! (`out.text_search_configs`). Each translated table is described for
//! APP_IMPACT.md in `out.full_text`. [`maintains_index`] tells the trigger pass
//! which triggers only keep an FTS index up to date: a generated column
//! needs none of them.
use super::Rewrite;
use crate::diag::{Diagnostic, Stage};
use crate::ident::{quote_ident, quote_literal};
use crate::ir::{pg, sqlite};
use crate::source::fts::{Content, Spec, Tokenizer, spec_of};
use crate::translate::trigger::written_tables;
use std::collections::BTreeSet;

/// Why trigger `tr` is not needed: every statement writes an
/// external-content FTS table handed to this pass, whose index becomes a
/// generated column PostgreSQL keeps up to date itself.
pub(in crate::rewrite) fn maintains_index(cx: &Rewrite, tr: &sqlite::Trigger) -> Option<String> {
    let written = written_tables(&tr.sql)?;
    let external = |w: &String| {
        let t = cx.fts.iter().find(|t| t.name.eq_ignore_ascii_case(w))?;
        let spec = spec_of(t)?;
        matches!(spec.content, Content::External { .. }).then_some(t.name.as_str())
    };
    let mut fts: Vec<&str> = written.iter().map(external).collect::<Option<_>>()?;
    fts.sort();
    fts.dedup();
    (!fts.is_empty()).then(|| {
        format!(
            "it only keeps the full-text index {} up to date, which PostgreSQL's generated \
             tsvector column does by itself",
            fts.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    for t in cx.fts.clone() {
        let Some(spec) = spec_of(t) else { continue };
        if let Err(why) = translate(cx, t, &spec) {
            keep_as_comment(cx, t, &why.0, why.1);
        }
    }
}

/// Why an FTS table is not translated, and what to do instead.
struct Untranslated(String, &'static str);

fn translate(cx: &mut Rewrite, t: &sqlite::Table, spec: &Spec) -> Result<(), Untranslated> {
    let (table, rowid) = match &spec.content {
        Content::External { table, rowid } => (table.as_str(), rowid.as_str()),
        Content::Own if t.holds_rows() => (t.name.as_str(), "rowid"),
        Content::Own => {
            return Err(Untranslated(
                "it keeps its own text (no content=), which only SQLite's FTS module reads \
                 back from its shadow tables"
                    .into(),
                "compile from the database file (not its DDL): the table and its rows are \
                 migrated with the tsvector column",
            ));
        }
        Content::Contentless => {
            return Err(Untranslated(
                "it is contentless (content=''): SQLite never stored its text, so there is \
                 nothing to index"
                    .into(),
                "add a tsvector column over the table the application indexes from, or keep \
                 the text in PostgreSQL and index it there",
            ));
        }
    };
    let Some(pos) = cx
        .migrated
        .iter()
        .position(|m| m.name.eq_ignore_ascii_case(table))
    else {
        return Err(Untranslated(
            format!("its content table `{table}` is not migrated"),
            "migrate the content table, or rebuild the index by hand",
        ));
    };
    let pt = &cx.out.tables[pos];
    let mut sources = Vec::new();
    for c in &spec.columns {
        let Some(pc) = pt
            .columns
            .iter()
            .find(|pc| pc.generated.is_none() && pc.source_name.eq_ignore_ascii_case(c))
        else {
            return Err(Untranslated(
                format!("its column `{c}` is not a column of its content table `{table}`"),
                "fix the FTS declaration in SQLite, or rebuild the index by hand",
            ));
        };
        sources.push(pc.clone());
    }
    if sources.is_empty() {
        return Err(Untranslated(
            "it indexes no column".into(),
            "nothing to rebuild",
        ));
    }
    let evidence_rowid = format!("content_rowid {rowid}");
    match &spec.tokenizer {
        Tokenizer::Config {
            regconfig,
            diacritics_folded,
        } => {
            let unaccent = *diacritics_folded && cx.src.opts.target.has_extension("unaccent");
            let config = if unaccent {
                unaccent_config(cx, regconfig)
            } else {
                regconfig.to_string()
            };
            if *diacritics_folded && !unaccent {
                diacritics_kept(cx, t, regconfig);
            }
            let column = tsvector_column(cx, t, pos, &sources, &config, &evidence_rowid);
            let key = key_column(cx, pos, rowid);
            let columns = sources
                .iter()
                .map(|c| pg::FullTextColumn {
                    source: c.source_name.clone(),
                    position: spec
                        .declared
                        .iter()
                        .position(|d| d.eq_ignore_ascii_case(&c.source_name))
                        .unwrap_or(0),
                    text: text_of(c),
                    vector: column_vector(&config, c),
                })
                .collect();
            cx.out.full_text.push(pg::FullText {
                source: t.name.clone(),
                module: module_of(t),
                content: match &spec.content {
                    Content::External { table, rowid } => Some((table.clone(), rowid.clone())),
                    _ => None,
                },
                table: cx.out.tables[pos].name.clone(),
                key,
                column,
                config,
                stemmed: *regconfig == "english",
                diacritics_folded: *diacritics_folded,
                unaccent,
                columns,
            });
            Ok(())
        }
        Tokenizer::Trigram => {
            if !cx.src.opts.target.has_extension("pg_trgm") {
                return Err(Untranslated(
                    "its trigram tokenizer needs the pg_trgm extension, which the target does \
                     not list"
                        .into(),
                    "add pg_trgm to the target's extensions (--extensions) and compile again",
                ));
            }
            trigram_index(cx, t, pos, &sources);
            Ok(())
        }
        Tokenizer::Unknown(name) => Err(Untranslated(
            format!("its tokenizer `{name}` has no PostgreSQL counterpart"),
            "choose a text search configuration and add a generated tsvector column by hand",
        )),
    }
}

/// The note that `regconfig` keeps the diacritics unicode61 folded.
fn diacritics_kept(cx: &mut Rewrite, t: &sqlite::Table, regconfig: &str) {
    cx.diags.push(
        Diagnostic::note(
            Stage::Rewrite,
            "fts-diacritics-kept",
            format!(
                "full-text table `{}`: unicode61 removes diacritics, the `{regconfig}` text \
                 search configuration keeps them: `café` no longer matches `cafe`",
                t.name
            ),
        )
        .on(t.name.clone())
        .with_help(
            "with the unaccent extension on the target, compile with --extensions \
             citext,pgcrypto,unaccent (or --target-url): the words then go through \
             `unaccent` as SQLite folded them (docs/fts.md)",
        ),
    );
}

/// The configuration `<regconfig>_unaccent`: a copy of `regconfig` whose
/// word tokens go through the `unaccent` dictionary first, created once.
/// `to_tsvector(regconfig, text)` stays immutable, so the generated column
/// may name it.
fn unaccent_config(cx: &mut Rewrite, regconfig: &str) -> String {
    cx.extensions.insert("unaccent".into());
    let name = format!("{regconfig}_unaccent");
    if cx.out.text_search_configs.iter().any(|c| c.name == name) {
        return name;
    }
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Tokens with letters outside ASCII; english stems only the all-letter
    // ones, as its own mapping does.
    let letters = strings(&["word", "hword", "hword_part"]);
    let with_digits = strings(&["numword", "numhword", "hword_numpart"]);
    let stem = if regconfig == "english" {
        "english_stem"
    } else {
        "simple"
    };
    let mappings = vec![
        pg::TextSearchMapping {
            tokens: letters,
            dictionaries: strings(&["unaccent", stem]),
        },
        pg::TextSearchMapping {
            tokens: with_digits,
            dictionaries: strings(&["unaccent", "simple"]),
        },
    ];
    cx.out.text_search_configs.push(pg::TextSearchConfig {
        name: name.clone(),
        copy: regconfig.to_string(),
        mappings,
    });
    cx.out
        .text_search_configs
        .sort_by(|a, b| a.name.cmp(&b.name));
    name
}

/// The PostgreSQL key column: the content table's column for
/// `content_rowid` (its rowid alias for `rowid`), or an own-content
/// table's `rowid`. Empty when the rowid is not a column.
fn key_column(cx: &Rewrite, pos: usize, rowid: &str) -> String {
    let pt = &cx.out.tables[pos];
    let by_name = |n: &str| {
        pt.columns
            .iter()
            .find(|c| c.generated.is_none() && c.source_name.eq_ignore_ascii_case(n))
    };
    let alias = || {
        let st = cx.migrated[pos].columns.iter().find(|c| c.rowid_alias)?;
        by_name(&st.name)
    };
    by_name(rowid)
        .or_else(|| rowid.eq_ignore_ascii_case("rowid").then(alias).flatten())
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

/// `fts3`, `fts4` or `fts5`.
fn module_of(t: &sqlite::Table) -> String {
    match &t.kind {
        sqlite::TableKind::Virtual { module, .. } => module.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// One column's `tsvector`: punctuation becomes a space first, as SQLite's
/// tokenizers split words at every punctuation character while
/// PostgreSQL's parser keeps `a/b` (a file path), `a.b.c` (a host) or
/// `a@b.c` (an e-mail address) as one token.
fn column_vector(config: &str, c: &pg::Column) -> String {
    format!(
        "to_tsvector({}::regconfig, regexp_replace(coalesce({}, ''), '[[:punct:]]+', ' ', 'g'))",
        quote_literal(&quote_ident(config)),
        text_of(c)
    )
}

/// `to_tsvector(cfg, col1) || to_tsvector(cfg, col2) …` as a generated
/// column named after the FTS table, and its GIN index. Returns the
/// column's name.
fn tsvector_column(
    cx: &mut Rewrite,
    t: &sqlite::Table,
    pos: usize,
    sources: &[pg::Column],
    config: &str,
    rowid: &str,
) -> String {
    let vectors: Vec<String> = sources.iter().map(|c| column_vector(config, c)).collect();
    // Between two columns, a lexeme no text yields (a space) takes one
    // position and is deleted: a phrase never spans two columns.
    let expr = match vectors.as_slice() {
        [one] => one.clone(),
        _ => format!(
            "ts_delete({}, ' ')",
            vectors.join(&format!(" || {}::tsvector || ", quote_literal("' ':1")))
        ),
    };
    let pt = &mut cx.out.tables[pos];
    let mut taken: BTreeSet<String> = pt.columns.iter().map(|c| c.name.clone()).collect();
    let name = cx
        .src
        .namer
        .name(&t.name, &mut taken, "column", &mut cx.diags);
    let decision = pg::Decision {
        rule: "fts-table".into(),
        evidence: format!(
            "full-text index ({} column(s), text search configuration {config}, {rowid}) as a generated tsvector",
            sources.len()
        ),
        obvious: false,
    };
    pt.columns.push(pg::Column {
        name: name.clone(),
        source_name: t.name.clone(),
        pg_type: "tsvector".into(),
        converter: pg::Converter::Text,
        not_null: false,
        default: None,
        identity: false,
        sequence: None,
        generated: Some(expr),
        collation: None,
        decisions: vec![decision.clone()],
    });
    let elements = vec![quote_ident(&name)];
    gin_index(cx, t, pos, "gin", elements, decision);
    name
}

/// A GIN index named `<fts table>_<suffix>` on the `pos`-th table.
fn gin_index(
    cx: &mut Rewrite,
    t: &sqlite::Table,
    pos: usize,
    suffix: &str,
    elements: Vec<String>,
    decision: pg::Decision,
) {
    let table = cx.out.tables[pos].name.clone();
    let name = cx.src.namer.name(
        &format!("{}_{suffix}", t.name),
        &mut cx.relnames,
        "index",
        &mut cx.diags,
    );
    cx.out.indexes.push(pg::Index {
        name,
        table,
        unique: false,
        using: "gin".into(),
        elements,
        where_clause: None,
        decisions: vec![decision],
    });
}

/// One GIN index with `gin_trgm_ops` over the indexed columns.
fn trigram_index(cx: &mut Rewrite, t: &sqlite::Table, pos: usize, sources: &[pg::Column]) {
    cx.extensions.insert("pg_trgm".into());
    let elements = sources
        .iter()
        .map(|c| match text_of(c) {
            q if c.pg_type == "text" => format!("{q} gin_trgm_ops"),
            q => format!("({q}) gin_trgm_ops"),
        })
        .collect();
    let decision = pg::Decision {
        rule: "fts-table".into(),
        evidence: format!(
            "trigram full-text index ({} column(s)) as pg_trgm: LIKE, ILIKE and similarity use it",
            sources.len()
        ),
        obvious: false,
    };
    gin_index(cx, t, pos, "trgm", elements, decision);
}

/// The column as text (`"c"`, or `"c"::text` for another type).
fn text_of(c: &pg::Column) -> String {
    match c.pg_type.as_str() {
        "text" => quote_ident(&c.name),
        _ => format!("{}::text", quote_ident(&c.name)),
    }
}

fn keep_as_comment(cx: &mut Rewrite, t: &sqlite::Table, reason: &str, help: &str) {
    cx.diags.push(
        Diagnostic::warning(
            Stage::Rewrite,
            "fts-kept-as-comment",
            format!(
                "full-text table `{}` is not translated: {reason}; its SQLite definition is kept \
                 as a comment in 03_constraints.sql",
                t.name
            ),
        )
        .on(t.name.clone())
        .with_help(help),
    );
    cx.out.kept_as_comment.push(pg::Commented {
        kind: "virtual table".into(),
        name: t.name.clone(),
        code: "fts-kept-as-comment".into(),
        reason: reason.to_string(),
        sql: t.sql.clone(),
    });
}
