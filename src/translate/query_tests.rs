//! The view-query translator: each semantic difference between SQLite and
//! PostgreSQL that a view meets, one test each, over a small catalog.
use super::query::{Catalog, Relation, translate_view};
use super::{ColumnInfo, TimeSource};

fn col(
    name: &str,
    pg_name: &str,
    pg_type: &str,
    class: Option<&'static str>,
) -> (String, ColumnInfo) {
    (
        name.to_string(),
        ColumnInfo {
            pg_name: pg_name.to_string(),
            pg_type: pg_type.to_string(),
            sqlite_class: class,
            time: None::<TimeSource>,
        },
    )
}

/// `T(a integer, b text, r real, n numeric, flag boolean, code text)` —
/// renamed `t`, columns as written except `code` → `item_code` — and
/// `U(id integer, t_id integer)`.
fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.relations.insert(
        "t".into(),
        Relation {
            pg_name: "t".into(),
            columns: vec![
                col("a", "a", "bigint", Some("integer")),
                col("b", "b", "text", Some("text")),
                col("r", "r", "double precision", Some("real")),
                col("n", "n", "numeric", None),
                col("flag", "flag", "boolean", Some("integer")),
                col("Code", "item_code", "text", Some("text")),
            ],
            rowid: None,
        },
    );
    c.relations.insert(
        "u".into(),
        Relation {
            pg_name: "u".into(),
            columns: vec![
                col("id", "id", "bigint", Some("integer")),
                col("t_id", "t_id", "bigint", Some("integer")),
            ],
            rowid: Some("ID".into()),
        },
    );
    c.relations.insert(
        "j".into(),
        Relation {
            pg_name: "j".into(),
            columns: vec![
                col("id", "id", "bigint", Some("integer")),
                col("doc", "doc", "jsonb", Some("text")),
            ],
            rowid: None,
        },
    );
    c.views.insert("broken".into());
    c
}

fn ok(select: &str) -> String {
    let sql = format!("CREATE VIEW v AS {select}");
    match translate_view(&sql, &catalog(), None) {
        Ok(t) => t.sql,
        Err(e) => panic!("{select}: {e}"),
    }
}

fn err(select: &str) -> String {
    let sql = format!("CREATE VIEW v AS {select}");
    match translate_view(&sql, &catalog(), None) {
        Ok(t) => panic!("{select} translated: {}", t.sql),
        Err(e) => e.reason,
    }
}

#[test]
fn every_result_column_keeps_sqlites_name_through_renames() {
    assert_eq!(
        ok("SELECT code, T.a AS \"x y\" FROM T"),
        r#"SELECT "T".item_code AS "Code", "T".a AS "x y" FROM t AS "T""#
    );
}

#[test]
fn star_expands_to_declared_names_in_table_order() {
    assert_eq!(
        ok("SELECT u.* FROM u"),
        r#"SELECT u.id AS id, u.t_id AS t_id FROM u AS u"#
    );
}

#[test]
fn nulls_sort_first_ascending_and_last_descending_as_in_sqlite() {
    let sql = ok("SELECT a FROM t ORDER BY a, r DESC");
    assert!(
        sql.ends_with("ORDER BY t.a NULLS FIRST, t.r DESC NULLS LAST"),
        "{sql}"
    );
}

#[test]
fn text_sorts_by_code_point_like_sqlites_binary_collation() {
    let sql = ok("SELECT b FROM t ORDER BY b");
    assert!(
        sql.ends_with(r#"ORDER BY t.b COLLATE "C" NULLS FIRST"#),
        "{sql}"
    );
    let sql = ok("SELECT b FROM t WHERE b < 'm'");
    assert!(sql.ends_with(r#"WHERE t.b COLLATE "C" < 'm'"#), "{sql}");
}

#[test]
fn like_folds_ascii_letters_only_not_ilike() {
    let sql = ok("SELECT a FROM t WHERE b LIKE 'Ab%Ä'");
    assert!(
        sql.ends_with(
            "WHERE translate(t.b, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') \
             LIKE 'ab%Ä'"
        ),
        "{sql}"
    );
    assert!(!sql.contains("ILIKE"));
}

#[test]
fn glob_is_case_sensitive_like_with_its_wildcards() {
    let sql = ok("SELECT a FROM t WHERE b GLOB 'a*_?'");
    assert!(sql.ends_with(r"WHERE t.b LIKE 'a%\__'"), "{sql}");
}

#[test]
fn division_by_zero_is_null_as_in_sqlite() {
    let sql = ok("SELECT a / a AS q, a / 2 AS h, a % 3 AS m FROM t");
    assert!(sql.contains("t.a / NULLIF(t.a, 0) AS q"), "{sql}");
    assert!(sql.contains("t.a / 2 AS h"), "{sql}");
    assert!(sql.contains("t.a % 3 AS m"), "{sql}");
}

#[test]
fn integer_division_stays_integer_and_numeric_division_is_refused() {
    // bigint / bigint truncates in both; real / integer is real in both.
    assert!(ok("SELECT a / 2 AS h FROM t").contains("t.a / 2"));
    assert!(ok("SELECT r / 2 AS h FROM t").contains("t.r / 2"));
    let why = err("SELECT n / 2 AS h FROM t");
    assert!(why.contains("NUMERIC"), "{why}");
    let why = err("SELECT r % 2 AS m FROM t");
    assert!(why.contains("integers"), "{why}");
}

#[test]
fn arithmetic_on_text_reads_its_leading_number_as_sqlite_does() {
    // Northwind's `Invoices`: `FirstName + ' ' + LastName` is 0 in SQLite.
    let sql = ok("SELECT b + ' ' + code AS s FROM t");
    let number = |c: &str| {
        format!(
            "CASE WHEN {c} IS NOT NULL THEN coalesce(substring({c} FROM \
             '^[ \\t\\n\\v\\f\\r]*([+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?)'), \
             '0')::numeric END"
        )
    };
    assert_eq!(
        sql,
        format!(
            "SELECT {} + 0 + {} AS s FROM t AS t",
            number("t.b"),
            number("t.item_code")
        )
    );
    // A literal is read here: its leading number, or 0.
    assert!(ok("SELECT a * ' -1.5e2x' AS m FROM t").contains("t.a * -1.5e2 AS m"));
    assert!(ok("SELECT a + '+7.' AS m FROM t").contains("t.a + 7. AS m"));
    assert!(ok("SELECT a - 'e5' AS m FROM t").contains("t.a - 0 AS m"));
    // SQLite divides the integers it reads from text as integers.
    let why = err("SELECT a / b AS q FROM t");
    assert!(why.contains("NUMERIC"), "{why}");
    assert!(ok("SELECT b / 2.0 AS q FROM t").contains("END / NULLIF(2.0, 0) AS q"));
    // A blob is not read as a number.
    let why = err("SELECT a + x'00' AS m FROM t");
    assert!(why.contains("arithmetic on a bytea"), "{why}");
}

#[test]
fn group_concat_becomes_string_agg_of_text() {
    let sql = ok("SELECT group_concat(a) AS g, group_concat(b, '; ') AS h FROM t");
    assert!(sql.contains("string_agg(t.a::text, ',') AS g"), "{sql}");
    assert!(sql.contains("string_agg(t.b, '; ') AS h"), "{sql}");
    let why = err("SELECT group_concat(r) AS g FROM t");
    assert!(why.contains("text rendering"), "{why}");
}

#[test]
fn boolean_columns_compare_with_true_and_false() {
    let sql = ok("SELECT a FROM t WHERE flag = 1 AND flag <> 0");
    assert!(
        sql.ends_with("WHERE t.flag = true AND t.flag <> false"),
        "{sql}"
    );
}

#[test]
fn a_number_compared_with_a_text_column_takes_its_affinity() {
    let sql = ok("SELECT a FROM t WHERE b = 0");
    assert!(sql.ends_with("WHERE t.b = '0'"), "{sql}");
    let why = err("SELECT a FROM t WHERE b = a");
    assert!(why.contains("text and a number"), "{why}");
}

#[test]
fn aggregates_return_sqlites_types() {
    let sql = ok("SELECT count(*) AS c, sum(a) AS s, avg(a) AS m, total(a) AS t FROM t");
    assert!(sql.contains("count(*) AS c"), "{sql}");
    assert!(sql.contains("CAST(sum(t.a) AS bigint) AS s"), "{sql}");
    assert!(
        sql.contains("CAST(avg(t.a) AS double precision) AS m"),
        "{sql}"
    );
    assert!(
        sql.contains("CAST(coalesce(sum(t.a), 0) AS double precision) AS t"),
        "{sql}"
    );
}

#[test]
fn joins_resolve_aliases_and_refuse_ambiguity() {
    let sql = ok("SELECT x.b, y.id FROM t AS x LEFT JOIN u y ON y.t_id = x.a");
    assert_eq!(
        sql,
        "SELECT x.b AS b, y.id AS id FROM t AS x LEFT JOIN u AS y ON y.t_id = x.a"
    );
    let why = err("SELECT id FROM u JOIN u AS w ON w.id = u.t_id");
    assert!(why.contains("ambiguous"), "{why}");
}

#[test]
fn a_scalar_subquery_takes_the_first_row_and_sees_outer_columns() {
    let sql = ok("SELECT (SELECT u.id FROM u WHERE u.t_id = t.a) AS first FROM t");
    assert_eq!(
        sql,
        "SELECT (SELECT u.id AS id FROM u AS u WHERE u.t_id = t.a LIMIT 1) AS first FROM t AS t"
    );
}

#[test]
fn limit_and_offset_follow_sqlite_for_negative_values() {
    assert!(ok("SELECT a FROM t LIMIT 10 OFFSET 5").ends_with(" LIMIT 10 OFFSET 5"));
    assert!(ok("SELECT a FROM t LIMIT -1").ends_with("FROM t AS t"));
    assert!(ok("SELECT a FROM t LIMIT 5, 10").ends_with(" LIMIT 10 OFFSET 5"));
}

#[test]
fn compound_order_by_names_result_columns() {
    let sql = ok("SELECT b FROM t UNION SELECT b FROM t ORDER BY 1 DESC");
    assert_eq!(
        sql,
        "SELECT * FROM (SELECT t.b AS b FROM t AS t UNION SELECT t.b AS b FROM t AS t) \
         AS \"ordered\" ORDER BY b COLLATE \"C\" DESC NULLS LAST"
    );
    let why = err("SELECT a FROM t UNION SELECT a FROM t INTERSECT SELECT a FROM t");
    assert!(why.contains("left to right"), "{why}");
    let why = err("SELECT a FROM t UNION SELECT b FROM t");
    assert!(why.contains("one type"), "{why}");
}

#[test]
fn window_functions_keep_sqlites_null_order() {
    let sql = ok("SELECT row_number() OVER (PARTITION BY b ORDER BY a) AS n FROM t");
    assert!(
        sql.contains("row_number() OVER (PARTITION BY t.b ORDER BY t.a NULLS FIRST) AS n"),
        "{sql}"
    );
}

#[test]
fn ctes_are_relations_for_the_query() {
    let sql = ok("WITH w AS (SELECT a FROM t) SELECT a FROM w");
    assert_eq!(
        sql,
        "WITH w AS (SELECT t.a AS a FROM t AS t) SELECT w.a AS a FROM w AS w"
    );
}

#[test]
fn missing_relations_and_untranslated_views_are_named() {
    assert!(err("SELECT * FROM nowhere").contains("`nowhere`, which is not a migrated table"));
    assert!(err("SELECT * FROM broken").contains("the view `broken`, which is not translated"));
}

#[test]
fn an_unnamed_expression_needs_sqlites_name() {
    let why = err("SELECT a + 1 FROM t");
    assert!(why.contains("no AS name"), "{why}");
    let names = vec!["a + 1".to_string()];
    let t = translate_view(
        "CREATE VIEW v AS SELECT a + 1 FROM t",
        &catalog(),
        Some(&names),
    )
    .unwrap();
    assert_eq!(t.sql, r#"SELECT t.a + 1 AS "a + 1" FROM t AS t"#);
}

#[test]
fn hostile_names_are_quoted_everywhere() {
    let sql = ok("SELECT a AS \"x\"\"; DROP TABLE t; --\n*/\" FROM t AS \"al\"\"ias\"");
    assert_eq!(
        sql,
        "SELECT \"al\"\"ias\".a AS U&\"x\"\"; DROP TABLE t; --\\000A*/\" FROM t AS \"al\"\"ias\""
    );
}

#[test]
fn an_unaliased_from_subquery_gets_a_name_postgresql_15_accepts() {
    let sql = ok("SELECT * FROM (SELECT a FROM t)");
    assert_eq!(
        sql,
        r#"SELECT "(subquery-1)".a AS a FROM (SELECT t.a AS a FROM t AS t) AS "(subquery-1)""#
    );
    let why = err("SELECT * FROM (SELECT a FROM t), t AS \"(subquery-1)\"");
    assert!(why.contains("two FROM items"), "{why}");
}

#[test]
fn printf_with_s_d_and_percent_becomes_concatenation_with_sqlites_nulls() {
    assert_eq!(
        ok("SELECT printf('%s: %d%%', b, a) AS p FROM T"),
        r#"SELECT (coalesce("T".b, '') || ': ' || coalesce("T".a::text, '0') || '%') AS p FROM t AS "T""#
    );
    assert_eq!(
        ok("SELECT format('%d', NULL) AS p FROM T"),
        r#"SELECT '0' AS p FROM t AS "T""#
    );
}

#[test]
fn printf_conversions_that_print_differently_are_refused_with_the_reason() {
    assert!(err("SELECT printf('%.2f', r) AS p FROM T").contains("`%.`"));
    assert!(err("SELECT printf('%5s', b) AS p FROM T").contains("`%5`"));
    assert!(err("SELECT printf('%s', r) AS p FROM T").contains("real"));
    assert!(err("SELECT printf('%d', b) AS p FROM T").contains("%d of a text"));
    assert!(err("SELECT printf('%s %s', b) AS p FROM T").contains("1 argument(s) for 2"));
    assert!(err("SELECT printf(b, a) AS p FROM T").contains("not a string literal"));
}

#[test]
fn using_and_natural_joins_become_on_with_the_left_column_for_the_bare_name() {
    assert_eq!(
        ok("SELECT a, x.b FROM T AS x JOIN T AS y USING (A)"),
        r#"SELECT x.a AS a, x.b AS b FROM t AS x JOIN t AS y ON x.a = y.a"#
    );
    // `*` leaves the right side's USING columns out, as SQLite does.
    assert_eq!(
        ok("SELECT * FROM U NATURAL LEFT JOIN U AS y"),
        r#"SELECT "U".id AS id, "U".t_id AS t_id FROM u AS "U" LEFT JOIN u AS y ON "U".id = y.id AND "U".t_id = y.t_id"#
    );
    let sql = ok("SELECT * FROM T NATURAL JOIN T AS y");
    assert_eq!(
        sql,
        r#"SELECT "T".a AS a, "T".b AS b, "T".r AS r, "T".n AS n, "T".flag AS flag, "T".item_code AS "Code" FROM t AS "T" JOIN t AS y ON "T".a = y.a AND "T".b = y.b AND "T".r = y.r AND "T".n = y.n AND "T".flag = y.flag AND "T".item_code = y.item_code"#
    );
}

#[test]
fn using_joins_that_are_not_exact_are_refused() {
    let why = err("SELECT * FROM T RIGHT JOIN T AS y USING (a)");
    assert!(why.contains("RIGHT or FULL"), "{why}");
    let why = err("SELECT * FROM T JOIN U USING (a)");
    assert!(why.contains("not in `U`"), "{why}");
    let why = err("SELECT * FROM T AS x, T AS y JOIN T AS z USING (a)");
    assert!(why.contains("several tables"), "{why}");
}

#[test]
fn arrow_on_jsonb_steps_by_key_and_index_like_sqlites_path() {
    assert_eq!(
        ok(r#"SELECT doc -> '$.a."b c"[2].d' AS x, doc -> 'k' AS y, doc -> 0 AS z FROM J"#),
        r#"SELECT "J".doc -> 'a' -> 'b c' -> 2 -> 'd' AS x, "J".doc -> 'k' AS y, "J".doc -> 0 AS z FROM j AS "J""#
    );
    assert_eq!(
        ok("SELECT doc -> '$' AS x FROM J"),
        r#"SELECT "J".doc AS x FROM j AS "J""#
    );
}

#[test]
fn arrow_forms_that_differ_are_refused_with_the_reason() {
    assert!(err("SELECT doc ->> 'a' AS x FROM J").contains("own SQL type"));
    assert!(err("SELECT doc -> 'a.b' AS x FROM J").contains("reads it as a path"));
    assert!(err("SELECT doc -> '$[#-1]' AS x FROM J").contains("non-negative"));
    assert!(err("SELECT b -> '$.a' AS x FROM T").contains("only json and jsonb"));
}

#[test]
fn with_recursive_casts_the_initial_select_and_reads_the_cte_in_the_recursive_one() {
    assert_eq!(
        ok(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT x FROM c"
        ),
        r#"WITH RECURSIVE c(x) AS (SELECT "initial"."1"::bigint AS "1" FROM (SELECT 1 AS "1") AS "initial" UNION ALL SELECT c.x + 1 AS "x + 1" FROM c AS c WHERE c.x < 5) SELECT c.x AS x FROM c AS c"#
    );
}

#[test]
fn recursive_ctes_that_steer_sqlites_queue_or_mix_kinds_are_refused() {
    let why = err(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT x FROM c",
    );
    assert!(why.contains("queue"), "{why}");
    let why = err("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT 'a' FROM c) SELECT x FROM c");
    assert!(why.contains("recursive column 1"), "{why}");
}

#[test]
fn window_frame_exclusions_are_kept_after_the_frame() {
    let sql = ok(
        "SELECT first_value(a) OVER (PARTITION BY b ORDER BY a ROWS BETWEEN CURRENT ROW \
                  AND UNBOUNDED FOLLOWING exclude current row) AS f FROM t",
    );
    assert!(
        sql.contains(
            "first_value(t.a) OVER (PARTITION BY t.b ORDER BY t.a NULLS FIRST ROWS BETWEEN \
             CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) AS f"
        ),
        "{sql}"
    );
    for (written, printed) in [("Group", "GROUP"), ("TIES", "TIES")] {
        let sql = ok(&format!(
            "SELECT sum(a) OVER (ORDER BY a RANGE 1 PRECEDING EXCLUDE {written}) AS s FROM t"
        ));
        assert!(
            sql.contains(&format!("RANGE 1 PRECEDING EXCLUDE {printed})")),
            "{sql}"
        );
    }
    // The default, written out, is the same window.
    let sql = ok(
        "SELECT count(*) OVER (ORDER BY a ROWS UNBOUNDED PRECEDING EXCLUDE NO OTHERS) \
                  AS c FROM t",
    );
    assert!(
        sql.contains("ORDER BY t.a NULLS FIRST ROWS UNBOUNDED PRECEDING) AS c"),
        "{sql}"
    );
    // Two windows each keep their own exclusion.
    let sql = ok(
        "SELECT sum(a) OVER (ORDER BY a ROWS 1 PRECEDING EXCLUDE TIES) AS x, \
                  sum(a) OVER (ORDER BY a ROWS 2 PRECEDING) AS y FROM t",
    );
    assert!(sql.contains("ROWS 1 PRECEDING EXCLUDE TIES)"), "{sql}");
    assert!(sql.contains("ROWS 2 PRECEDING)"), "{sql}");
    assert_eq!(sql.matches("EXCLUDE").count(), 1, "{sql}");
}

#[test]
fn exclude_outside_a_frame_is_not_moved() {
    // A column named `exclude` stays a column.
    let sql = ok("SELECT b AS exclude FROM t");
    assert!(sql.contains("AS exclude"), "{sql}");
    // The marker's name, written by the view, is refused rather than read.
    let e = err("SELECT sum(a) OVER (\"pgbridge frame exclusion: TIES\" ORDER BY a) AS s FROM t");
    assert!(e.contains("is reserved"), "{e}");
    // Not after a frame bound: left to the parser, which refuses it.
    let e = err("SELECT sum(a) OVER (ORDER BY a EXCLUDE TIES) AS s FROM t");
    assert!(e.contains("cannot parse"), "{e}");
}

#[test]
fn rowid_reads_the_integer_primary_key_that_aliases_it() {
    // `u` declares `id INTEGER PRIMARY KEY` (written `ID` in the catalog).
    assert_eq!(
        ok("SELECT u.rowid AS r, OID AS o, _ROWID_ AS w FROM u"),
        r#"SELECT u.id AS r, u.id AS o, u.id AS w FROM u AS u"#
    );
    // Unaliased, SQLite names the result after the column.
    assert_eq!(
        ok("SELECT rowid FROM u"),
        r#"SELECT u.id AS id FROM u AS u"#
    );
    // A table without such a key keeps refusing, naming the table.
    let e = err("SELECT t.rowid AS r FROM t");
    assert!(
        e.contains("`t.rowid` is SQLite's implicit row id")
            && e.contains("`t` has no INTEGER PRIMARY KEY"),
        "{e}"
    );
    // Two tables in reach: SQLite reports no such column; refused.
    let e = err("SELECT rowid AS r FROM u, j");
    assert!(e.contains("ambiguous column name `rowid`"), "{e}");
}

#[test]
fn group_concat_order_by_orders_string_agg_as_sqlite_does() {
    let sql = ok("SELECT group_concat(b, ',' ORDER BY a DESC, b) AS g FROM t");
    assert!(
        sql.contains(
            r#"string_agg(t.b, ',' ORDER BY t.a DESC NULLS LAST, t.b COLLATE "C" NULLS FIRST)"#
        ),
        "{sql}"
    );
    assert!(err("SELECT group_concat(DISTINCT b ORDER BY b) AS g FROM t").contains("DISTINCT"));
    assert!(err("SELECT count(a ORDER BY a) AS g FROM t").contains("ORDER BY"));
}

#[test]
fn a_declared_application_function_expands_and_a_postgres_override_replaces_it() {
    use crate::translate::appfn::{AppFunction, AppFunctions};
    let decl = |stem: &str, yaml: &str| AppFunction::parse(yaml, stem, "f.yaml").unwrap();
    let mut c = catalog();
    c.functions = AppFunctions::new(vec![
        decl("twice", "description: d\nparams: [x]\nsqlite: x * 2\n"),
        decl(
            "stamp",
            "description: d\nparams: [x]\nsqlite: x\npostgres: \"md5(x::text)\"\n",
        ),
    ]);
    let t = translate_view(
        "CREATE VIEW v AS SELECT twice(a + 1) AS d, stamp(b) AS s FROM t",
        &c,
        None,
    )
    .unwrap();
    assert!(t.sql.contains("(t.a + 1) * 2"), "{}", t.sql);
    assert!(t.sql.contains("(md5((t.b)::TEXT))"), "{}", t.sql);
    assert_eq!(t.app_functions, ["stamp", "twice"]);
    let why = translate_view("CREATE VIEW v AS SELECT twice(a, b) AS d FROM t", &c, None);
    assert!(why.unwrap_err().reason.contains("2 argument(s)"));
}
