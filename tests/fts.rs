//! Full text on data, against real PostgreSQL 15 and 18: FTS3/FTS4/FTS5
//! tables become a generated `tsvector` column with a GIN index
//! (docs/fts.md). For words and two-word phrases drawn from the indexed
//! text (the most frequent first), SQLite's `MATCH` and PostgreSQL's `@@`
//! (`phraseto_tsquery`) must return the same rowid sets. Where the
//! `english` configuration (snowball stemmer, stop words) differs from
//! SQLite's porter tokenizer, the differences are counted by cause,
//! printed, and bounded: measured, not hidden.
mod common;

use common::{PgVersion, TestDb, cluster, compile, corpus, pgbridge, sql_ident, text};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;

/// One FTS table as SQLite and PostgreSQL see it.
struct Fts<'a> {
    /// The SQLite FTS table.
    fts: &'a str,
    /// The PostgreSQL table holding the tsvector, and its key column.
    table: &'a str,
    key: &'a str,
    /// The tsvector column (named after the FTS table).
    column: &'a str,
    config: &'a str,
    /// Where the indexed text is in SQLite (content table or the FTS table) and its columns.
    source: &'a str,
    text_columns: &'a [&'a str],
}

/// Per cause, how many queries returned different rowid sets.
#[derive(Debug, Default)]
struct Measured {
    queries: usize,
    equal: usize,
    /// PostgreSQL dropped a word as a stop word (`english`).
    stop_words: usize,
    /// Every row in one answer only holds non-ASCII text: unicode61 folds
    /// diacritics and splits at Unicode punctuation, `simple` does not.
    non_ascii: usize,
    /// The queries of `non_ascii`.
    non_ascii_queries: Vec<String>,
    /// Other differences (the stemmers).
    other: Vec<String>,
}

/// Words (lower-cased runs of letters and digits) and adjacent pairs in
/// one value, by frequency over `source`'s text columns: the `n` most
/// frequent of each, ties by text.
fn terms(conn: &Connection, f: &Fts, n: usize) -> (Vec<String>, Vec<String>) {
    let mut words: BTreeMap<String, usize> = BTreeMap::new();
    let mut pairs: BTreeMap<String, usize> = BTreeMap::new();
    for (_, text) in texts(conn, f) {
        for v in text {
            let ws: Vec<String> = v
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_lowercase)
                .collect();
            for w in &ws {
                *words.entry(w.clone()).or_default() += 1;
            }
            for p in ws.windows(2) {
                *pairs.entry(p.join(" ")).or_default() += 1;
            }
        }
    }
    let top = |m: BTreeMap<String, usize>| {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.into_iter().take(n).map(|(w, _)| w).collect::<Vec<_>>()
    };
    (top(words), top(pairs))
}

/// Each row's rowid and its indexed text values.
fn texts(conn: &Connection, f: &Fts) -> BTreeMap<i64, Vec<String>> {
    let cols: Vec<String> = f.text_columns.iter().map(|c| sql_ident(c)).collect();
    let sql = format!(
        "SELECT rowid, {} FROM {}",
        cols.join(", "),
        sql_ident(f.source)
    );
    let mut st = conn.prepare(&sql).unwrap();
    let mut rows = st.query([]).unwrap();
    let mut out = BTreeMap::new();
    while let Some(r) = rows.next().unwrap() {
        let vals = (1..=cols.len())
            .filter_map(|i| r.get::<_, Option<String>>(i).unwrap())
            .collect();
        out.insert(r.get(0).unwrap(), vals);
    }
    out
}

fn sqlite_match(conn: &Connection, fts: &str, q: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT rowid FROM {} WHERE {0} MATCH ?1 ORDER BY 1",
        sql_ident(fts)
    );
    let mut st = conn.prepare(&sql).unwrap();
    st.query_map([format!("\"{q}\"")], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Each query on both sides, the differences classified.
fn measure(conn: &Connection, pg: &mut postgres::Client, f: &Fts, queries: &[String]) -> Measured {
    let sql = format!(
        "SELECT {}::bigint FROM {} WHERE {} @@ phraseto_tsquery($1::text::regconfig, $2::text) ORDER BY 1",
        sql_ident(f.key),
        sql_ident(f.table),
        sql_ident(f.column)
    );
    let text = texts(conn, f);
    let mut m = Measured::default();
    for q in queries {
        let want = sqlite_match(conn, f.fts, q);
        let got: Vec<i64> = pg
            .query(&sql, &[&f.config, q])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        m.queries += 1;
        if got == want {
            m.equal += 1;
            continue;
        }
        // A phrase of n words is n lexemes and n - 1 `<->`.
        let nodes: i32 = pg
            .query_one(
                "SELECT numnode(phraseto_tsquery($1::text::regconfig, $2::text))",
                &[&f.config, q],
            )
            .unwrap()
            .get(0);
        let words = q.split(' ').count() as i32;
        let only_one: Vec<&i64> = want
            .iter()
            .filter(|r| !got.contains(r))
            .chain(got.iter().filter(|r| !want.contains(r)))
            .collect();
        let non_ascii = only_one
            .iter()
            .all(|r| text.get(r).is_some_and(|t| t.iter().any(|v| !v.is_ascii())));
        if nodes < 2 * words - 1 {
            m.stop_words += 1;
        } else if non_ascii {
            m.non_ascii += 1;
            m.non_ascii_queries.push(q.clone());
        } else {
            m.other.push(format!(
                "{q:?}: SQLite {} rows, PostgreSQL {}",
                want.len(),
                got.len()
            ));
        }
    }
    m
}

/// Migrates `path` and measures every FTS table of `ftss` on words and
/// phrases. `migrate` compiles for the server's extensions; with
/// `compiled_for` extensions, `path` is compiled for those instead and its
/// set applied with psql.
fn migrate_and_measure(
    v: PgVersion,
    path: &Path,
    ftss: &[Fts],
    n: usize,
    compiled_for: Option<&str>,
) -> (TestDb, String, Vec<(Measured, Measured)>) {
    let db = cluster(v).new_db("fts");
    let (ok, log) = match compiled_for {
        None => {
            let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
            (out.status.success(), text(&out))
        }
        Some(extensions) => {
            let dir = tempfile::tempdir().unwrap();
            let set = dir.path().join("set");
            let args = [
                "compile",
                path.to_str().unwrap(),
                "-o",
                set.to_str().unwrap(),
            ];
            let out = pgbridge(&[&args[..], &["--extensions", extensions]].concat());
            let files = ["01_schema.sql", "02_load.sql", "03_constraints.sql"];
            let run = db.psql_set(&set, &files, path);
            (
                out.status.success() && run.status.success(),
                text(&out) + &text(&run),
            )
        }
    };
    assert!(ok, "{} on {v:?}: {log}", path.display());
    let conn = Connection::open(path).unwrap();
    let mut pg = db.connect();
    let mut results = Vec::new();
    for f in ftss {
        let (words, phrases) = terms(&conn, f, n);
        assert!(!words.is_empty(), "{}: terms drawn from the data", f.fts);
        let w = measure(&conn, &mut pg, f, &words);
        let p = measure(&conn, &mut pg, f, &phrases);
        eprintln!(
            "{} {} on {v:?} ({}): words {}/{} equal, {} stop words, {} non-ASCII {:?}, {} other {:?}; \
             phrases {}/{} equal, {} stop words, {} non-ASCII {:?}, {} other {:?}",
            path.file_name().unwrap().to_string_lossy(),
            f.fts,
            f.config,
            w.equal,
            w.queries,
            w.stop_words,
            w.non_ascii,
            w.non_ascii_queries,
            w.other.len(),
            w.other,
            p.equal,
            p.queries,
            p.stop_words,
            p.non_ascii,
            p.non_ascii_queries,
            p.other.len(),
            p.other,
        );
        results.push((w, p));
    }
    (db, log, results)
}

/// The tsvector columns of the database: `table.column`, sorted.
fn tsvector_columns(db: &TestDb) -> Vec<String> {
    db.query(
        "SELECT table_name || '.' || column_name FROM information_schema.columns \
         WHERE data_type = 'tsvector' AND table_schema = 'public' ORDER BY 1",
    )
    .into_iter()
    .map(|r| r.join(""))
    .collect()
}

fn gin_indexes(db: &TestDb) -> usize {
    db.scalar(
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gin'",
    )
    .parse()
    .unwrap()
}

#[test]
fn corpus_fts_tables_translate_and_match_as_in_sqlite_on_15_and_18() {
    let fixtures = [Fts {
        fts: "searchable_fts",
        table: "searchable",
        key: "pk",
        column: "searchable_fts",
        config: "simple",
        source: "searchable",
        text_columns: &["text1", "text2", "name with . and spaces"],
    }];
    // FTS3 reads `content="searchable"` as a third column named content:
    // an own-content table, migrated with its rows.
    let extra = [Fts {
        fts: "searchable_fts",
        table: "searchable_fts",
        key: "rowid",
        column: "searchable_fts",
        config: "simple",
        source: "searchable_fts",
        text_columns: &["text1", "text2"],
    }];
    for v in PgVersion::ALL {
        let path = corpus("datasette_fixtures/fixtures.db");
        let (db, log, m) = migrate_and_measure(v, &path, &fixtures, 50, None);
        assert_eq!(tsvector_columns(&db), ["searchable.searchable_fts"]);
        assert_eq!(gin_indexes(&db), 1);
        assert!(!log.contains("fts-kept-as-comment"), "{log}");
        for (w, p) in &m {
            assert_eq!((w.equal, p.equal), (w.queries, p.queries), "{m:?}");
        }

        let path = corpus("datasette_fixtures/extra_database.db");
        let (db, _, m) = migrate_and_measure(v, &path, &extra, 50, None);
        assert_eq!(tsvector_columns(&db), ["searchable_fts.searchable_fts"]);
        assert_eq!(db.scalar("SELECT count(*) FROM searchable_fts"), "2");
        for (w, p) in &m {
            assert_eq!((w.equal, p.equal), (w.queries, p.queries), "{m:?}");
        }

        // calibre: two FTS5 tables over one column (unicode61 and porter);
        // the triggers that maintained them are dropped with a note.
        let db = cluster(v).new_db("fts");
        let path = corpus("calibre_library/metadata.db");
        let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
        let log = text(&out);
        assert!(out.status.success(), "{log}");
        assert_eq!(
            tsvector_columns(&db),
            [
                "annotations.annotations_fts",
                "annotations.annotations_fts_stemmed"
            ]
        );
        assert_eq!(log.matches("note[fts-trigger-dropped]").count(), 3, "{log}");
        let cfg = db.scalar(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a \
             ON a.attrelid = d.adrelid AND a.attnum = d.adnum \
             WHERE a.attname = 'annotations_fts_stemmed'",
        );
        // porter wraps unicode61, which removes diacritics: with unaccent
        // on the server (migrate reads its extensions), so does the copy of
        // english the column names.
        let english = match db.has_extension_available("unaccent") {
            true => "'english_unaccent'::regconfig",
            false => "'english'::regconfig",
        };
        assert!(cfg.contains(english), "{cfg}");
        db.psql(
            "INSERT INTO annotations (book, format, user_type, \"user\", timestamp, annot_id, \
             annot_type, annot_data, searchable_text) SELECT min(id), 'EPUB', 'local', 'me', 0, \
             'a1', 'highlight', '{}', 'running dogs' FROM books",
        )
        .unwrap();
        let hits = db.scalar(
            "SELECT count(*) FROM annotations WHERE annotations_fts_stemmed @@ \
             websearch_to_tsquery('english', 'run dog') AND annotations_fts @@ \
             websearch_to_tsquery('simple', 'dogs')",
        );
        assert_eq!(hits, "1", "a row inserted after the migration is indexed");
    }
}

/// Chinook's track names and composers indexed twice in a copy: FTS5
/// external content with `porter` (→ english) and with unicode61 (→ simple).
fn chinook_with_fts(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("chinook_fts.db");
    std::fs::copy(corpus("chinook/Chinook_Sqlite.sqlite"), &path).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE track_porter USING fts5(Name, Composer, content='Track', \
           content_rowid='TrackId', tokenize='porter unicode61');
         INSERT INTO track_porter(track_porter) VALUES ('rebuild');
         CREATE VIRTUAL TABLE track_words USING fts5(Name, Composer, content='Track', \
           content_rowid='TrackId');
         INSERT INTO track_words(track_words) VALUES ('rebuild');",
    )
    .unwrap();
    path
}

#[test]
fn porter_and_unicode61_on_chinook_match_as_measured_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = chinook_with_fts(dir.path());
    let ftss = [
        Fts {
            fts: "track_words",
            table: "Track",
            key: "TrackId",
            column: "track_words",
            config: "simple",
            source: "Track",
            text_columns: &["Name", "Composer"],
        },
        Fts {
            fts: "track_porter",
            table: "Track",
            key: "TrackId",
            column: "track_porter",
            config: "english",
            source: "Track",
            text_columns: &["Name", "Composer"],
        },
    ];
    for v in PgVersion::ALL {
        let (_db, _, m) = migrate_and_measure(v, &path, &ftss, 200, Some("citext,pgcrypto"));
        // unicode61 and `simple` (after punctuation → space) split and fold
        // ASCII text alike: the differences are rows with non-ASCII text
        // (diacritics folded by unicode61 only), counted and bounded.
        let (words, phrases) = (&m[0].0, &m[0].1);
        for x in [words, phrases] {
            assert!(x.other.is_empty(), "simple: {x:?}");
            assert_eq!(x.stop_words, 0, "simple: {x:?}");
            assert!(x.non_ascii * 100 <= x.queries * 5, "simple: {x:?}");
        }
        // english: stop words are dropped (a word alone matches nothing, a
        // phrase loses it) and the snowball stemmer differs from porter on
        // a few words. Both measured, printed above, and bounded.
        let (words, phrases) = (&m[1].0, &m[1].1);
        assert!(words.stop_words > 0, "stop words are measured: {words:?}");
        for x in [words, phrases] {
            assert!(x.stop_words * 100 <= x.queries * 20, "english: {x:?}");
            assert!(x.other.len() * 100 <= x.queries * 5, "english: {x:?}");
            assert!(x.equal * 100 >= x.queries * 75, "english: {x:?}");
        }
        // migrate reads the server's extensions: with unaccent there, both
        // configurations fold diacritics as unicode61 does and the
        // non-ASCII differences go.
        let (_db, log, after) = migrate_and_measure(v, &path, &ftss, 200, None);
        assert!(!log.contains("fts-diacritics-kept"), "{log}");
        // What remains: U+00B4 (`Cleo´s`, `Di´Anno`) and `°` (`1° De
        // Julho`) are symbols, where unicode61 splits a word and PostgreSQL
        // does not; PostgreSQL 18's unaccent rules also turn `º` into `o`
        // (`N.º 4`, `Nº 2`), unicode61 keeps it as a letter.
        assert!(after[0].0.equal > m[0].0.equal, "{:?} {:?}", m[0], after[0]);
        for (b, a) in m.iter().zip(&after) {
            for x in [&a.0, &a.1] {
                assert!(x.non_ascii <= 4, "before {b:?}, after {a:?}");
            }
        }
    }
}

const UNACCENT: [&str; 2] = ["--extensions", "citext,pgcrypto,unaccent"];

const HOSTILE: &str = r#"
CREATE TABLE "we""ird $$ */ tab
le" ("i""d" INTEGER PRIMARY KEY, "bo""dy */ $$" TEXT, "ti tle" TEXT);
INSERT INTO "we""ird $$ */ tab
le" VALUES (1, 'quick brown fox', 'alpha'), (2, 'lazy brown dog', 'beta'), (7, 'quick dog', NULL);
CREATE VIRTUAL TABLE "f""ts */ $$
x" USING fts5("bo""dy */ $$", "ti tle", content='we"ird $$ */ tab
le', content_rowid='i"d');
INSERT INTO "f""ts */ $$
x"("f""ts */ $$
x") VALUES ('rebuild');
CREATE VIRTUAL TABLE "own ""fts"" $$" USING fts4("a */ b", tokenize=porter);
INSERT INTO "own ""fts"" $$"(rowid, "a */ b") VALUES (3, 'running dogs'), (9, 'quick fox');
"#;

#[test]
fn fts_tables_and_columns_with_hostile_names_translate_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(HOSTILE)
        .unwrap();
    let ftss = [
        Fts {
            fts: "f\"ts */ $$\nx",
            table: "we\"ird $$ */ tab\nle",
            key: "i\"d",
            column: "f\"ts */ $$\nx",
            config: "simple",
            source: "we\"ird $$ */ tab\nle",
            text_columns: &["bo\"dy */ $$", "ti tle"],
        },
        Fts {
            fts: "own \"fts\" $$",
            table: "own \"fts\" $$",
            key: "rowid",
            column: "own \"fts\" $$",
            config: "english",
            source: "own \"fts\" $$",
            text_columns: &["a */ b"],
        },
    ];
    for v in PgVersion::ALL {
        let (db, log, m) = migrate_and_measure(v, &path, &ftss, 20, None);
        assert!(!log.contains("fts-kept-as-comment"), "{log}");
        for (w, p) in &m {
            assert_eq!((w.equal, p.equal), (w.queries, p.queries), "{m:?}");
        }
        assert_eq!(gin_indexes(&db), 2);
    }
}

/// Compiles `rel`, runs 01–03 with psql, checks each (query, answer), then
/// runs rollback.sql and expects an empty database.
fn psql_path(rel: &str, dir: &Path, checks: &[(&str, &str)]) {
    psql_path_of(&corpus(rel), dir, &[], checks)
}

/// [`psql_path`] for a database file, compiled with `options`.
fn psql_path_of(path: &Path, dir: &Path, options: &[&str], checks: &[(&str, &str)]) {
    let path = path.to_path_buf();
    let set = dir.join(path.file_stem().unwrap());
    let mut args = vec![
        "compile",
        path.to_str().unwrap(),
        "-o",
        set.to_str().unwrap(),
    ];
    args.extend(options);
    let out = pgbridge(&args);
    assert!(out.status.success(), "{}", text(&out));
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("fts_psql");
        let files = ["01_schema.sql", "02_load.sql", "03_constraints.sql"];
        let run = db.psql_set(&set, &files, &path);
        assert!(run.status.success(), "{v:?}: {}", text(&run));
        for (sql, want) in checks {
            assert_eq!(db.scalar(sql), *want, "{v:?}: {sql}");
        }
        db.psql_file(&set.join("rollback.sql")).unwrap();
        assert_eq!(db.objects(), Vec::<String>::new(), "{v:?}: rollback");
    }
}

#[test]
fn unaccent_folds_diacritics_as_unicode61_on_the_psql_path_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accents.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE song (id INTEGER PRIMARY KEY, name TEXT, by TEXT);
         INSERT INTO song VALUES (1, 'Atrás da Porta', 'Chico'), (2, 'São Paulo', 'Titãs'),
           (3, 'Atras', 'Cafe'), (4, 'Running Café', 'Élan');
         CREATE VIRTUAL TABLE song_fts USING fts5(name, by, content='song', content_rowid='id');
         INSERT INTO song_fts(song_fts) VALUES ('rebuild');
         CREATE VIRTUAL TABLE song_stem USING fts5(name, by, content='song', content_rowid='id',
           tokenize='porter unicode61');
         INSERT INTO song_stem(song_stem) VALUES ('rebuild');",
    )
    .unwrap();
    let ids = |fts: &str, q: &str| {
        let sql = format!(
            "SELECT group_concat(rowid, ',') FROM (SELECT rowid FROM {fts} WHERE {fts} MATCH ?1 ORDER BY 1)"
        );
        conn.query_row(&sql, [q], |r| r.get::<_, String>(0))
            .unwrap()
    };
    let pg = |column: &str, cfg: &str, q: &str| {
        format!(
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM song \
             WHERE {column} @@ plainto_tsquery('{cfg}', '{q}')"
        )
    };
    let (atras, cafe, titas) = (
        ids("song_fts", "atras"),
        ids("song_fts", "cafe"),
        ids("song_fts", "titas"),
    );
    let (run, elan) = (ids("song_stem", "run"), ids("song_stem", "elan"));
    assert_eq!(
        (atras.as_str(), cafe.as_str(), titas.as_str()),
        ("1,3", "3,4", "2")
    );
    assert_eq!((run.as_str(), elan.as_str()), ("4", "4"));
    psql_path_of(
        &path,
        dir.path(),
        &UNACCENT,
        &[
            (&pg("song_fts", "simple_unaccent", "atras"), &atras),
            (&pg("song_fts", "simple_unaccent", "Cafe"), &cafe),
            (&pg("song_fts", "simple_unaccent", "titãs"), &titas),
            (&pg("song_stem", "english_unaccent", "run"), &run),
            (&pg("song_stem", "english_unaccent", "élan"), &elan),
        ],
    );
}

#[test]
fn psql_path_creates_the_tsvector_columns_and_rollback_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    psql_path(
        "datasette_fixtures/fixtures.db",
        dir.path(),
        &[
            (
                "SELECT string_agg(pk::text, ',' ORDER BY pk) FROM searchable \
                 WHERE searchable_fts @@ phraseto_tsquery('simple', 'terry dog')",
                "1,2",
            ),
            // A prefix query.
            (
                "SELECT string_agg(pk::text, ',' ORDER BY pk) FROM searchable \
                 WHERE searchable_fts @@ to_tsquery('simple', 'pum:*')",
                "2",
            ),
        ],
    );
    // An own-content table (FTS3): 02_load.sql reads its rows from the FTS table.
    psql_path(
        "datasette_fixtures/extra_database.db",
        dir.path(),
        &[(
            "SELECT string_agg(rowid::text, ',' ORDER BY rowid) FROM searchable_fts \
             WHERE searchable_fts @@ websearch_to_tsquery('simple', '\"sara weasel\"')",
            "2",
        )],
    );
}

#[test]
fn contentless_and_unknown_tokenizer_tables_are_kept_as_comments_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kept.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT);
             CREATE VIRTUAL TABLE nothing_stored USING fts5(body, content='');
             CREATE VIRTUAL TABLE gone USING fts5(body, content='missing_table');
             CREATE TABLE log (what TEXT);
             CREATE VIRTUAL TABLE t_fts USING fts5(body, content='t', content_rowid='id');
             CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN
               INSERT INTO t_fts(rowid, body) VALUES (new.id, new.body);
             END;
             CREATE TRIGGER t_ad_logged AFTER DELETE ON t BEGIN
               INSERT INTO t_fts(t_fts, rowid, body) VALUES ('delete', old.id, old.body);
               INSERT INTO log VALUES ('deleted');
             END;",
        )
        .unwrap();
    let set = dir.path().join("set");
    let out = compile(&path, &set);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert_eq!(
        log.matches("warning[fts-kept-as-comment]").count(),
        2,
        "{log}"
    );
    assert!(log.contains("contentless"), "{log}");
    assert!(log.contains("`missing_table` is not migrated"), "{log}");
    let c = std::fs::read_to_string(set.join("03_constraints.sql")).unwrap();
    assert!(c.contains("nothing_stored"), "{c}");
    // Only a trigger that does nothing but maintain the index is dropped;
    // one that also writes another table stays, with its warning.
    assert!(
        log.contains("note[fts-trigger-dropped]: trigger `t_ai`"),
        "{log}"
    );
    assert!(
        log.contains("warning[trigger-kept-as-comment]: trigger `t_ad_logged`"),
        "{log}"
    );
}

#[test]
fn trigram_tables_become_a_pg_trgm_gin_index_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trigram.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT, n INTEGER);
             INSERT INTO t VALUES (1, 'the quick brown fox', 12345), (2, 'lazy dog', 99);
             CREATE VIRTUAL TABLE t_trgm USING fts5(body, n, content='t', content_rowid='id', \
               tokenize='trigram');
             INSERT INTO t_trgm(t_trgm) VALUES ('rebuild');",
        )
        .unwrap();
    // Without pg_trgm in the target: a warning, the SQL kept as a comment.
    let out = compile(&path, &dir.path().join("set"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("needs the pg_trgm extension"),
        "{}",
        text(&out)
    );
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("fts_trgm");
        if !db.has_extension_available("pg_trgm") {
            assert_ne!(
                v,
                PgVersion::V15,
                "pg_trgm ships with PostgreSQL 15's contrib"
            );
            eprintln!("{v:?}: pg_trgm not installed on this server, trigram migration not run");
            continue;
        }
        let out = pgbridge(&[
            "migrate",
            path.to_str().unwrap(),
            db.url.as_str(),
            "--extensions",
            "citext,pgcrypto,pg_trgm",
        ]);
        assert!(out.status.success(), "{v:?}: {}", text(&out));
        let def = db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 't_trgm_trgm'");
        assert!(
            def.contains("USING gin (body gin_trgm_ops, ((n)::text) gin_trgm_ops)"),
            "{def}"
        );
        // SQLite: MATCH 'row' on a trigram table is a substring search.
        let conn = Connection::open(&path).unwrap();
        let want = sqlite_match(&conn, "t_trgm", "ick bro");
        let got = db.scalar("SELECT string_agg(id::text, ',') FROM t WHERE body LIKE '%ick bro%'");
        assert_eq!(want, vec![1]);
        assert_eq!(got, "1");
    }
}

/// Into a schema of its own (`--schema`): the unaccent configuration is
/// created there and finds the extension's dictionary.
#[test]
fn unaccent_configuration_in_a_target_schema_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accents.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE song (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO song VALUES (1, 'Atrás da Porta'), (2, 'Atras');
             CREATE VIRTUAL TABLE song_fts USING fts5(name, content='song', content_rowid='id');
             INSERT INTO song_fts(song_fts) VALUES ('rebuild');",
        )
        .unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("fts_schema");
        let args = [
            "migrate",
            path.to_str().unwrap(),
            db.url.as_str(),
            "--schema",
            "le \"gacy\"",
        ];
        let out = pgbridge(&args);
        assert!(out.status.success(), "{v:?}: {}", text(&out));
        let hits = db.scalar(
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM \"le \"\"gacy\"\"\".song \
             WHERE song_fts @@ plainto_tsquery('\"le \"\"gacy\"\"\".simple_unaccent', 'atras')",
        );
        assert_eq!(hits, "1,2", "{v:?}");
    }
}
