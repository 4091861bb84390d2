//! One test per mapping: SQLite text in, exact PostgreSQL text out; and the
//! constructs that must not translate.
use super::*;
use sqlparser::dialect::PostgreSqlDialect;

fn ctx(cols: &[(&str, &str, &str)], target: Option<&str>) -> ExprContext {
    ExprContext {
        columns: cols
            .iter()
            .map(|(sqlite, pg, ty)| {
                (
                    sqlite.to_ascii_lowercase(),
                    ColumnInfo {
                        pg_name: pg.to_string(),
                        pg_type: ty.to_string(),
                        sqlite_class: match *ty {
                            "bigint" | "integer" | "boolean" => Some("integer"),
                            "double precision" | "real" => Some("real"),
                            "text" | "uuid" | "jsonb" => Some("text"),
                            "bytea" => Some("blob"),
                            _ => None,
                        },
                        time: match *ty {
                            "timestamptz" | "timestamp" | "date" => Some(TimeSource::IsoText),
                            _ => None,
                        },
                    },
                )
            })
            .collect(),
        target_type: target.map(str::to_string),
        pgcrypto: true,
        ..ExprContext::default()
    }
}

/// Columns used by most tests.
fn cols() -> ExprContext {
    ctx(
        &[
            ("a", "a", "bigint"),
            ("b", "b", "bigint"),
            ("c", "c", "bigint"),
            ("name", "name", "text"),
            ("email", "email", "text"),
            ("pinned", "pinned", "boolean"),
            ("is_active", "is_active", "boolean"),
            ("data", "data", "bytea"),
            ("doc", "doc", "text"),
            ("meta", "meta", "jsonb"),
            ("price", "price", "double precision"),
            ("created", "created", "timestamptz"),
            ("discount", "Discount", "real"),
            ("end", "end", "bigint"),
        ],
        None,
    )
}

fn with_target(mut c: ExprContext, target: &str) -> ExprContext {
    c.target_type = Some(target.to_string());
    c
}

/// The output must at least be one complete expression to a PostgreSQL
/// parser (a cheap guard against unbalanced or mangled output).
fn assert_pg_parses(sql: &str) {
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect)
        .try_with_sql(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    p.parse_expr().unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(p.peek_token().token, Token::EOF, "trailing input in {sql}");
}

fn tr_in(sql: &str, c: &ExprContext) -> Translated {
    let t = translate_expr(sql, c).unwrap_or_else(|e| panic!("{sql}: {}", e.reason));
    assert_pg_parses(&t.sql);
    t
}

fn ok_in(sql: &str, c: &ExprContext) -> String {
    tr_in(sql, c).sql
}

fn ok(sql: &str) -> String {
    ok_in(sql, &cols())
}

fn err_in(sql: &str, c: &ExprContext) -> String {
    match translate_expr(sql, c) {
        Ok(t) => panic!("{sql} should not translate, got {}", t.sql),
        Err(e) => {
            assert!(!e.reason.is_empty());
            e.reason
        }
    }
}

fn err(sql: &str) -> String {
    err_in(sql, &cols())
}

// --- column references -------------------------------------------------

#[test]
fn bracket_quoted_columns_resolve_and_redundant_parens_drop() {
    assert_eq!(
        ok("[Discount]>=(0) AND [Discount]<=(1)"),
        "\"Discount\" >= 0 AND \"Discount\" <= 1"
    );
}

#[test]
fn backtick_and_double_quoted_columns_resolve_case_insensitively() {
    assert_eq!(ok("`EMAIL` != ''"), "email <> ''");
    assert_eq!(ok("\"Name\" = 'x'"), "name = 'x'");
}

#[test]
fn keyword_column_names_are_quoted() {
    assert_eq!(ok("\"end\" > 0"), "\"end\" > 0");
}

#[test]
fn table_qualified_column_prints_the_column() {
    assert_eq!(ok("t.a = 1"), "a = 1");
}

#[test]
fn double_quoted_word_that_is_no_column_is_a_string() {
    let t = tr_in("\"NORMAL\"", &cols());
    assert_eq!(t.sql, "'NORMAL'");
    assert_eq!(t.notes.len(), 1);
    assert_eq!(ok("\"\""), "''");
}

#[test]
fn bare_unknown_identifier_is_untranslatable() {
    assert!(err("nosuch + 1").contains("unknown column `nosuch`"));
    assert!(err("[nosuch]").contains("unknown column"));
    assert!(err("rowid > 0").contains("row id"));
}

// --- booleans ------------------------------------------------------------

#[test]
fn boolean_column_in_list_of_0_1_becomes_false_true() {
    assert_eq!(ok("pinned IN (0, 1)"), "pinned IN (false, true)");
}

#[test]
fn boolean_column_compared_with_0_or_1_uses_boolean_literals() {
    assert_eq!(ok("is_active = 1"), "is_active = true");
    assert_eq!(ok("pinned <> 0"), "pinned <> false");
    assert_eq!(ok("1 == is_active"), "true = is_active");
}

#[test]
fn boolean_column_compared_with_non_0_1_numbers_is_cast_to_integer() {
    assert_eq!(ok("pinned > 0"), "pinned > false");
    assert_eq!(ok("pinned > 1 + a"), "pinned::integer > 1 + a");
    assert_eq!(ok("pinned IN (0, 2)"), "pinned::integer IN (0, 2)");
}

#[test]
fn integer_default_into_boolean_becomes_false_true() {
    let c = with_target(cols(), "boolean");
    assert_eq!(ok_in("0", &c), "false");
    assert_eq!(ok_in("1", &c), "true");
    assert_eq!(ok_in("TRUE", &c), "true");
    assert_eq!(ok_in("FALSE", &c), "false");
}

#[test]
fn predicate_on_integer_becomes_comparison_with_zero() {
    let t = translate_predicate("a", &cols()).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("a <> 0"));
    let t = translate_predicate("pinned AND NOT a", &cols()).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("pinned AND NOT a <> 0"));
}

// --- operators -----------------------------------------------------------

#[test]
fn is_and_is_not_become_distinct_from() {
    assert_eq!(ok("a IS b"), "a IS NOT DISTINCT FROM b");
    assert_eq!(ok("a IS NOT b"), "a IS DISTINCT FROM b");
    assert_eq!(
        ok("a IS NOT 5 AND b IS 1"),
        "a IS DISTINCT FROM 5 AND b IS NOT DISTINCT FROM 1"
    );
}

#[test]
fn null_tests_cover_all_sqlite_spellings() {
    assert_eq!(ok("a IS NULL"), "a IS NULL");
    assert_eq!(ok("a IS NOT NULL"), "a IS NOT NULL");
    assert_eq!(ok("a NOTNULL"), "a IS NOT NULL");
    assert_eq!(ok("a ISNULL"), "a IS NULL");
    assert_eq!(ok("a NOT NULL"), "a IS NOT NULL");
}

#[test]
fn logic_and_comparison_keep_needed_parentheses_only() {
    assert_eq!(
        ok("(a > 1 OR b > 1) AND c = 0"),
        "(a > 1 OR b > 1) AND c = 0"
    );
    assert_eq!(ok("a > 1 OR (b > 1 AND c = 0)"), "a > 1 OR b > 1 AND c = 0");
    assert_eq!(ok("NOT (a = 1)"), "NOT a = 1");
    assert_eq!(ok("NOT (pinned OR is_active)"), "NOT (pinned OR is_active)");
}

#[test]
fn arithmetic_keeps_needed_parentheses_only() {
    assert_eq!(ok("(a + b) * c"), "(a + b) * c");
    assert_eq!(ok("a - (b - c)"), "a - (b - c)");
    assert_eq!(ok("a - b - c"), "a - b - c");
    assert_eq!(ok("a + b * c"), "a + b * c");
    assert_eq!(ok("a % 2 = 0"), "a % 2 = 0");
}

#[test]
fn concat_is_parenthesised_for_postgres_precedence() {
    // SQLite: || binds tighter than + ; PostgreSQL: looser.
    assert_eq!(ok("name || 'x' = 'ax'"), "name || 'x' = 'ax'");
    assert_eq!(ok("'n' || (a + 1)"), "'n' || a + 1");
    assert_eq!(ok("a || b"), "a::text || b");
}

#[test]
fn unary_minus_and_negative_literals() {
    assert_eq!(ok("a > -1"), "a > -1");
    assert_eq!(ok("-(a + b)"), "-(a + b)");
    assert_eq!(ok("a - -1"), "a - -1");
}

#[test]
fn between_and_in_list() {
    assert_eq!(ok("a BETWEEN 1 AND 10"), "a BETWEEN 1 AND 10");
    assert_eq!(ok("a NOT BETWEEN b - 1 AND c"), "a NOT BETWEEN b - 1 AND c");
    assert_eq!(
        ok("name IN ('G','PG','PG-13')"),
        "name IN ('G', 'PG', 'PG-13')"
    );
    assert_eq!(ok("a NOT IN (1, 2)"), "a NOT IN (1, 2)");
    assert_eq!(ok("a IN ()"), "false");
}

#[test]
fn case_expressions_both_forms() {
    assert_eq!(
        ok("CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END"),
        "CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END"
    );
    assert_eq!(
        ok("CASE pinned WHEN 1 THEN 'y' ELSE 'n' END"),
        "CASE pinned WHEN true THEN 'y' ELSE 'n' END"
    );
    assert_eq!(ok("CASE WHEN a THEN 1 END"), "CASE WHEN a <> 0 THEN 1 END");
}

#[test]
fn cast_maps_sqlite_type_names_by_affinity() {
    assert_eq!(ok("CAST(a AS INTEGER)"), "CAST(a AS bigint)");
    assert_eq!(ok("CAST(price AS INT)"), "CAST(trunc(price) AS bigint)");
    assert_eq!(ok("CAST(a AS VARCHAR(10))"), "CAST(a AS text)");
    assert_eq!(ok("CAST(name AS BLOB)"), "convert_to(name, 'UTF8')");
    assert_eq!(ok("CAST(data AS TEXT)"), "convert_from(data, 'UTF8')");
    assert_eq!(ok("CAST(a AS DOUBLE)"), "CAST(a AS double precision)");
    assert_eq!(ok("CAST(a AS FLOAT)"), "CAST(a AS double precision)");
    assert_eq!(ok("CAST(a AS DECIMAL(10,2))"), "CAST(a AS numeric)");
}

#[test]
fn like_becomes_ilike_with_a_note() {
    let t = tr_in("name LIKE 'a%'", &cols());
    assert_eq!(t.sql, "name ILIKE 'a%'");
    assert!(t.notes.iter().any(|n| n.contains("ILIKE")));
    assert_eq!(ok("name NOT LIKE 'a%'"), "name NOT ILIKE 'a%'");
}

#[test]
fn like_without_escape_disables_postgres_backslash_escape() {
    assert_eq!(ok("name LIKE 'a\\b%'"), "name ILIKE 'a\\b%' ESCAPE ''");
    assert_eq!(ok("name LIKE email"), "name ILIKE email ESCAPE ''");
    assert_eq!(
        ok("name LIKE 'a!%' ESCAPE '!'"),
        "name ILIKE 'a!%' ESCAPE '!'"
    );
}

#[test]
fn glob_without_classes_becomes_like() {
    assert_eq!(ok("name GLOB 'ab*'"), "name LIKE 'ab%'");
    assert_eq!(ok("name GLOB '?_%'"), "name LIKE '_\\_\\%'");
}

#[test]
fn glob_with_classes_becomes_anchored_regex() {
    assert_eq!(ok("name GLOB '[0-9]*.txt'"), "name ~ '^[0-9].*\\.txt$'");
    assert_eq!(ok("name GLOB '*[^a-z]'"), "name ~ '^.*[^a-z]$'");
}

// --- literals ------------------------------------------------------------

#[test]
fn literals_print_as_postgres_literals() {
    assert_eq!(ok("1.5"), "1.5");
    assert_eq!(ok("42"), "42");
    assert_eq!(ok("'it''s'"), "'it''s'");
    assert_eq!(ok("NULL"), "NULL");
    assert_eq!(ok("X'ABCD'"), "'\\xabcd'::bytea");
    assert_eq!(ok("0x1F"), "31");
    assert_eq!(ok("a & 0xFFFFFFFFFFFFFFFF"), "a & -1");
}

#[test]
fn current_timestamp_keeps_shape_of_target() {
    assert_eq!(
        ok_in("CURRENT_TIMESTAMP", &with_target(cols(), "timestamptz")),
        "CURRENT_TIMESTAMP"
    );
    let text = "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";
    assert_eq!(
        ok_in("CURRENT_TIMESTAMP", &with_target(cols(), "text")),
        text
    );
    assert_eq!(ok("CURRENT_TIMESTAMP"), text);
    assert_eq!(
        ok_in("CURRENT_TIMESTAMP", &with_target(cols(), "timestamp")),
        "CURRENT_TIMESTAMP AT TIME ZONE 'UTC'"
    );
}

#[test]
fn current_date_and_time_are_utc() {
    assert_eq!(
        ok_in("CURRENT_DATE", &with_target(cols(), "date")),
        "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')::date"
    );
    assert_eq!(
        ok("CURRENT_DATE"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    );
    assert_eq!(
        ok("CURRENT_TIME"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'HH24:MI:SS')"
    );
}

#[test]
fn now_compared_with_timestamptz_column_takes_its_type() {
    assert_eq!(
        ok("created <= CURRENT_TIMESTAMP"),
        "created <= CURRENT_TIMESTAMP"
    );
}

// --- functions -----------------------------------------------------------

#[test]
fn ifnull_coalesce_nullif() {
    assert_eq!(ok("ifnull(name, '')"), "coalesce(name, '')");
    assert_eq!(ok("COALESCE(a, b, 0)"), "coalesce(a, b, 0)");
    assert_eq!(ok("nullif(name, '')"), "nullif(name, '')");
    assert_eq!(ok("ifnull(pinned, 0)"), "coalesce(pinned, false)");
}

#[test]
fn instr_becomes_strpos() {
    assert_eq!(ok("instr(email, '@') > 1"), "strpos(email, '@') > 1");
}

#[test]
fn substr_with_positive_start() {
    assert_eq!(ok("substr(name, 1, 3)"), "substr(name, 1, 3)");
    assert_eq!(ok("SUBSTRING(name, 2)"), "substr(name, 2)");
}

#[test]
fn substr_with_zero_or_negative_start_is_untranslatable() {
    assert!(err("substr(name, -3)").contains("start -3"));
    assert!(err("substr(name, 0, 2)").contains("start 0"));
    assert!(err("substr(name, 1, -2)").contains("length -2"));
}

#[test]
fn iif_becomes_case() {
    assert_eq!(
        ok("iif(a > 0, 'y', 'n')"),
        "CASE WHEN a > 0 THEN 'y' ELSE 'n' END"
    );
}

#[test]
fn length_lower_upper_replace_abs() {
    assert_eq!(ok("length(name) > 0"), "length(name) > 0");
    assert_eq!(ok("length(a)"), "length(a::text)");
    assert_eq!(ok("length(data)"), "length(data)");
    let t = tr_in("lower(name) = upper(email)", &cols());
    assert_eq!(t.sql, "lower(name) = upper(email)");
    assert!(t.notes.iter().any(|n| n.contains("ASCII")));
    assert_eq!(ok("replace(name, 'a', 'b')"), "replace(name, 'a', 'b')");
    assert_eq!(ok("abs(a) < 5"), "abs(a) < 5");
}

#[test]
fn trim_family_with_one_or_two_arguments() {
    assert_eq!(ok("trim(name)"), "trim(name)");
    assert_eq!(ok("trim(name, 'x')"), "btrim(name, 'x')");
    assert_eq!(ok("ltrim(name)"), "ltrim(name)");
    assert_eq!(ok("rtrim(name, ' .')"), "rtrim(name, ' .')");
}

#[test]
fn round_goes_through_numeric() {
    assert_eq!(ok("round(price)"), "round(price::numeric)");
    assert_eq!(ok("round(price, 2)"), "round(price::numeric, 2)");
    assert_eq!(ok("round(a + b, 1)"), "round((a + b)::numeric, 1)");
}

#[test]
fn multi_argument_max_min_become_greatest_least() {
    let t = tr_in("max(a, b, 0)", &cols());
    assert_eq!(t.sql, "greatest(a, b, 0)");
    assert!(t.notes.iter().any(|n| n.contains("NULL")));
    assert_eq!(ok("min(a, b)"), "least(a, b)");
    assert!(err("max(a)").contains("aggregate"));
}

#[test]
fn char_becomes_chr_concatenation() {
    assert_eq!(ok("char(72, 105)"), "chr(72) || chr(105)");
    assert_eq!(ok("char(65)"), "chr(65)");
}

#[test]
fn hex_encodes_bytes_upper_case() {
    assert_eq!(ok("hex(data)"), "upper(encode(data, 'hex'))");
    assert_eq!(
        ok("hex(name)"),
        "upper(encode(convert_to(name, 'UTF8'), 'hex'))"
    );
}

#[test]
fn randomblob_needs_pgcrypto() {
    let t = tr_in("randomblob(16)", &cols());
    assert_eq!(t.sql, "gen_random_bytes(16)");
    assert_eq!(t.extensions, vec!["pgcrypto".to_string()]);
}

#[test]
fn randomblob_without_pgcrypto_uses_core_sha256_of_a_random_uuid() {
    let mut c = cols();
    c.pgcrypto = false;
    let t = tr_in("randomblob(16)", &c);
    assert_eq!(
        t.sql,
        "substring(sha256(uuid_send(gen_random_uuid())) FROM 1 FOR 16)"
    );
    assert!(t.extensions.is_empty());
    assert!(t.notes.iter().any(|n| n.contains("122 random bits")));
    let mut c = with_target(cols(), "text");
    c.pgcrypto = false;
    assert_eq!(
        tr_in("('r'||lower(hex(randomblob(7))))", &c).sql,
        "'r' || encode(substring(sha256(uuid_send(gen_random_uuid())) FROM 1 FOR 7), 'hex')"
    );
    assert!(translate_expr("randomblob(64)", &c).is_err());
}

#[test]
fn lower_hex_randomblob_is_hex_encoding() {
    assert_eq!(
        ok("lower(hex(randomblob(16)))"),
        "encode(gen_random_bytes(16), 'hex')"
    );
    let t = tr_in(
        "('r'||lower(hex(randomblob(7))))",
        &with_target(cols(), "text"),
    );
    assert_eq!(t.sql, "'r' || encode(gen_random_bytes(7), 'hex')");
    assert_eq!(t.extensions, vec!["pgcrypto".to_string()]);
}

#[test]
fn datetime_date_time_now_are_utc_text() {
    assert_eq!(
        ok("datetime('now')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    );
    assert_eq!(
        ok("date('now')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    );
    assert_eq!(
        ok("time('now')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'HH24:MI:SS')"
    );
    assert_eq!(
        ok_in("DATETIME('NOW')", &with_target(cols(), "timestamptz")),
        "CURRENT_TIMESTAMP"
    );
}

#[test]
fn datetime_now_localtime_uses_session_time_zone_with_note() {
    let t = tr_in("datetime('now', 'localtime')", &cols());
    assert_eq!(t.sql, "to_char(LOCALTIMESTAMP, 'YYYY-MM-DD HH24:MI:SS')");
    assert!(t.notes.iter().any(|n| n.contains("session time zone")));
}

#[test]
fn strftime_epoch_matches_target_type() {
    let epoch = "floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint";
    assert_eq!(ok("strftime('%s', 'now')"), epoch);
    assert_eq!(
        ok_in("(strftime('%s', 'now'))", &with_target(cols(), "bigint")),
        epoch
    );
    assert_eq!(
        ok_in("strftime('%s','now')", &with_target(cols(), "text")),
        format!("{epoch}::text")
    );
    assert_eq!(
        ok_in("strftime('%s','now')", &with_target(cols(), "timestamptz")),
        "CURRENT_TIMESTAMP"
    );
    assert_eq!(ok("unixepoch()"), epoch);
    assert_eq!(ok("unixepoch('now')"), epoch);
}

#[test]
fn strftime_common_text_formats() {
    assert_eq!(
        ok("strftime('%Y-%m-%d %H:%M:%S', 'now')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    );
    assert_eq!(
        ok("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    );
    assert_eq!(
        ok("STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')"
    );
    // No time value: SQLite defaults to 'now'.
    assert_eq!(
        ok("strftime('%Y-%m-%d %H:%M:%fZ')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS\"Z\"')"
    );
}

#[test]
fn julianday_now() {
    assert_eq!(
        ok("julianday('now')"),
        "extract(epoch FROM CURRENT_TIMESTAMP) / 86400.0 + 2440587.5"
    );
}

#[test]
fn json_extract_becomes_jsonb_path_text() {
    assert_eq!(ok("json_extract(doc, '$.name')"), "doc::jsonb #>> '{name}'");
    assert_eq!(
        ok("JSON_EXTRACT(doc, '$.meta.category')"),
        "doc::jsonb #>> '{meta,category}'"
    );
    assert_eq!(ok("json_extract(doc, '$[0]')"), "doc::jsonb #>> '{0}'");
    assert_eq!(
        ok("json_extract(doc, '$.a[1].b')"),
        "doc::jsonb #>> '{a,1,b}'"
    );
    assert_eq!(
        ok("json_extract(meta, '$.\"x y\"')"),
        "meta #>> '{\"x y\"}'"
    );
    assert_eq!(ok("json_extract(doc, '$')"), "doc::jsonb #>> '{}'");
}

#[test]
fn json_extract_with_computed_or_odd_path_is_untranslatable() {
    assert!(err("json_extract(doc, name)").contains("string literal"));
    assert!(err("json_extract(doc, '$[#-1]')").contains("array index"));
}

// --- must not translate --------------------------------------------------

#[test]
fn unsupported_functions_are_named() {
    assert!(err("title_sort(name)").contains("`title_sort`"));
    assert!(err("uuid4()").contains("`uuid4`"));
    assert!(err("typeof(a + 1) = 'integer'").contains("not a column"));
    assert!(err("json_valid(doc)").contains("json_valid"));
}

#[test]
fn window_functions_and_subqueries_are_untranslatable() {
    assert!(err("row_number() OVER (ORDER BY a)").contains("window function `row_number`"));
    assert!(err("a IN (SELECT 1)").contains("subquery"));
    assert!(err("(SELECT max(a) FROM t)").contains("subquery"));
    assert!(err("EXISTS (SELECT 1)").contains("subquery"));
}

#[test]
fn now_with_untranslatable_modifiers_or_formats_is_untranslatable() {
    // The messages quote the SQLite text, not a translation of it.
    assert!(err("datetime('now', '+1 month')").contains("modifier '+1 month'"));
    assert!(err("datetime('now', 'weekday 0')").contains("modifier 'weekday 0'"));
    assert!(err("strftime('%W', 'now')").contains("%W"));
    assert!(err("datetime(CURRENT_TIMESTAMP, 'localtime')").contains("localtime"));
    assert!(err("datetime('now', '+1 day', 'localtime')").contains("localtime"));
    let e = err("date(a || 'x')");
    assert!(e.contains("time value a || 'x'"), "{e}");
}

#[test]
fn now_moved_by_day_hour_and_start_of_modifiers() {
    assert_eq!(
        ok("datetime('now', '+1 day')"),
        "to_char(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' + INTERVAL '1 days', 'YYYY-MM-DD HH24:MI:SS')"
    );
    assert_eq!(
        ok("date('now', 'start of month', '-1.5 hours')"),
        "to_char(date_trunc('month', CURRENT_TIMESTAMP AT TIME ZONE 'UTC') - INTERVAL '90 minutes', 'YYYY-MM-DD')"
    );
    assert_eq!(
        ok_in(
            "datetime('now', '+7 days')",
            &with_target(cols(), "timestamptz")
        ),
        "((CURRENT_TIMESTAMP AT TIME ZONE 'UTC' + INTERVAL '7 days') AT TIME ZONE 'UTC')"
    );
}

#[test]
fn a_time_typed_column_is_printed_field_by_field_with_immutable_functions() {
    let b = "created AT TIME ZONE 'UTC'";
    assert_eq!(
        ok("strftime('%Y-%m-%d %H:00:00', created)"),
        format!(
            "lpad(extract(year FROM {b})::int::text, 4, '0') || '-' || \
             lpad(extract(month FROM {b})::int::text, 2, '0') || '-' || \
             lpad(extract(day FROM {b})::int::text, 2, '0') || ' ' || \
             lpad(extract(hour FROM {b})::int::text, 2, '0') || ':00:00'"
        )
    );
    // The instant in milliseconds as SQLite reads text: fraction capped at
    // .999, then rounded half up.
    let ms = format!(
        "least(date_trunc('milliseconds', {b} + INTERVAL '0.5 milliseconds'), \
         date_trunc('second', {b}) + INTERVAL '0.999 seconds')"
    );
    assert_eq!(
        ok("strftime('%f', created)"),
        format!("lpad(least(round(extract(second FROM {ms}), 3), 59.999)::text, 6, '0')")
    );
    assert_eq!(
        ok("unixepoch(created)"),
        format!("floor(extract(epoch FROM {ms}))::bigint")
    );
    // A modifier moves the instant; outside years 0..9999 SQLite gives NULL.
    assert_eq!(
        ok_in("date(created, '+1 day')", &with_target(cols(), "date")),
        format!(
            "CASE WHEN {ms} + INTERVAL '1 days' >= TIMESTAMP '4714-11-24 12:00:00 BC' \
             AND {ms} + INTERVAL '1 days' < TIMESTAMP '10000-01-01' \
             THEN ({ms} + INTERVAL '1 days')::date END"
        )
    );
    // Integer seconds are a time value only with 'unixepoch'; only seconds
    // in SQLite's range (Julian day 0 to 9999; years as %04d prints them) reach
    // to_timestamp.
    let secs = "to_timestamp(CASE WHEN a BETWEEN -210866760000 AND 253402300799 THEN a END) AT TIME ZONE 'UTC'";
    let y = format!("(extract(year FROM {secs})::int + (extract(year FROM {secs}) < 0)::int)");
    assert_eq!(
        ok("strftime('%Y', a, 'unixepoch')"),
        format!(
            "CASE WHEN {y} < 0 THEN '-' || lpad((-{y})::text, 3, '0') ELSE lpad({y}::text, 4, '0') END"
        )
    );
    assert!(err("date(a, 'unixepoch', '-1 day')").contains("Julian day 0"));
    // A move is whole milliseconds, as SQLite makes it, and at most 4,700
    // years (PostgreSQL's timestamps end at 4713 BC).
    assert!(ok("datetime(created, '+0.0006 seconds')").contains("INTERVAL '1 milliseconds'"));
    assert!(err("datetime(created, '+2000000 days')").contains("modifier '+2000000 days'"));
    assert!(err("datetime(created, '+99999999999 days')").contains("modifier"));
    assert!(err("datetime('now', '+1000000 days', '+1000000 days')").contains("modifier"));
    // 'now' moved: epoch seconds floored, as SQLite truncates.
    assert_eq!(
        ok_in("unixepoch('now', '+1 day')", &with_target(cols(), "bigint")),
        "floor(extract(epoch FROM ((CURRENT_TIMESTAMP AT TIME ZONE 'UTC' + INTERVAL '1 days') AT TIME ZONE 'UTC')))::bigint"
    );
    assert!(err("date(created, 'unixepoch')").contains("NULL"));
    assert!(err("date(created, '+1 month')").contains("modifier '+1 month'"));
    // SQLite parses a text column when the query runs: no immutable twin.
    let e = err("strftime('%Y', name)");
    assert!(e.contains("time value name, a text column"), "{e}");
    assert!(err("date(price)").contains("not SQLite time values"));
}

#[test]
fn literal_time_values_are_evaluated_by_sqlite() {
    assert_eq!(ok("date('2000-01-31', '+1 month')"), "'2000-03-02'");
    assert_eq!(ok("julianday('2000-01-01')"), "2451544.5");
    assert_eq!(ok("unixepoch('1970-01-02')"), "86400");
    assert_eq!(
        ok_in("datetime(0, 'unixepoch')", &with_target(cols(), "text")),
        "'1970-01-01 00:00:00'"
    );
    assert!(err("date('not a date')").contains("is NULL in SQLite"));
    assert!(err("date('2000-01-01', 'localtime')").contains("time zone"));
}

#[test]
fn current_timestamp_and_current_date_as_time_values_keep_sqlite_precision() {
    // GDAL's default: CURRENT_TIMESTAMP has whole seconds, so %f is SS.000.
    assert_eq!(
        ok("strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)"),
        "to_char(date_trunc('second', CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    );
    assert_eq!(
        ok("datetime(CURRENT_DATE)"),
        "to_char(date_trunc('day', CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')"
    );
    assert_eq!(
        ok_in(
            "strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)",
            &with_target(cols(), "timestamptz")
        ),
        "date_trunc('second', CURRENT_TIMESTAMP)"
    );
    assert_eq!(
        ok_in(
            "strftime('%s', CURRENT_DATE)",
            &with_target(cols(), "bigint")
        ),
        "extract(epoch FROM (date_trunc('day', CURRENT_TIMESTAMP AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'))::bigint"
    );
}

#[test]
fn collate_nocase_is_untranslatable_and_binary_is_c() {
    assert!(err("name COLLATE NOCASE").contains("NOCASE"));
    assert_eq!(ok("name COLLATE BINARY"), "name COLLATE \"C\"");
}

#[test]
fn regexp_match_and_garbage_are_untranslatable() {
    assert!(err("name REGEXP '^a'").contains("REGEXP"));
    assert!(err("a +").contains("cannot parse"));
    assert!(err("a b").contains("unexpected"));
}

#[test]
fn text_defaults_that_cannot_land_in_the_target_type_are_untranslatable() {
    assert!(err_in("''", &with_target(cols(), "bigint")).contains("not a number"));
    assert!(err_in("''", &with_target(cols(), "jsonb")).contains("not a JSON"));
    assert_eq!(ok_in("'{}'", &with_target(cols(), "jsonb")), "'{}'");
    assert!(err_in("date('now')", &with_target(cols(), "bigint")).contains("cannot land"));
}

// --- entry points ----------------------------------------------------------

#[test]
fn default_is_parenthesised_when_not_a_b_expr() {
    let c = with_target(cols(), "timestamp");
    let t = translate_default("CURRENT_TIMESTAMP", &c).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"));
    let t = translate_default("-1", &with_target(cols(), "bigint")).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("-1"));
    let t = translate_default("'r' || 'x'", &with_target(cols(), "text")).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("'r' || 'x'"));
}

#[test]
fn index_key_is_parenthesised_unless_column_or_call() {
    let key = |s: &str| translate_index_key(s, &cols()).map(|t| t.sql);
    assert_eq!(key("name").as_deref(), Ok("name"));
    assert_eq!(key("lower(name)").as_deref(), Ok("lower(name)"));
    assert_eq!(
        key("JSON_EXTRACT(`doc`, '$.auth')").as_deref(),
        Ok("(doc::jsonb #>> '{auth}')")
    );
    assert_eq!(key("a + b").as_deref(), Ok("(a + b)"));
}

#[test]
fn typeof_of_a_column_is_its_storage_class_as_it_now_holds_values() {
    let t = ok("typeof(a) = 'integer'");
    assert!(
        t.contains("CASE WHEN a IS NULL THEN 'null' ELSE 'integer' END"),
        "{t}"
    );
    let t = ok("typeof(name) IN ('text', 'null')");
    assert!(t.contains("ELSE 'text' END"), "{t}");
}

#[test]
fn storage_class_tests_of_one_column_are_recognised() {
    let (c, k) = super::typeof_test("typeof(x)='text' or typeof(x)='null'").unwrap();
    assert_eq!(c, "x");
    assert_eq!(k.into_iter().collect::<Vec<_>>(), vec!["null", "text"]);
    let (c, k) = super::typeof_test("(typeof(\"X\") IN ('integer')) OR x IS NULL").unwrap();
    assert_eq!(c, "X");
    assert_eq!(k.into_iter().collect::<Vec<_>>(), vec!["integer", "null"]);
    assert!(super::typeof_test("typeof(x)='text' or typeof(y)='null'").is_none());
    assert!(super::typeof_test("typeof(x)='text' and length(x) > 2").is_none());
    assert!(super::typeof_test("x > 0").is_none());
}

#[test]
fn time_format_text_and_column_names_reach_sql_quoted() {
    let c = ctx(&[("we\"ird; --", "we\"ird; --", "timestamptz")], None);
    let sql = ok_in("strftime('it''s %Y */ --', \"we\"\"ird; --\")", &c);
    assert!(
        sql.starts_with("'it''s ' || lpad(extract(year FROM \"we\"\"ird; --\" AT TIME ZONE 'UTC')"),
        "{sql}"
    );
    assert!(sql.ends_with(" || ' */ --'"), "{sql}");
    // A literal-only call's result is a quoted literal too.
    assert_eq!(ok("strftime('%Y''x', '2000-01-01')"), "'2000''x'");
}

#[test]
fn numeric_prefix_reads_what_sqlites_atof_reads() {
    use super::numeric_prefix;
    let cases = [
        ("Nancy", None),
        (" ", None),
        ("12abc", Some("12")),
        ("  -1.5x", Some("-1.5")),
        ("\t\n\x0b\x0c\r+3e2z", Some("3e2")),
        ("1e", Some("1")),
        ("1e+", Some("1")),
        ("2E-3", Some("2E-3")),
        (".5", Some(".5")),
        ("5.", Some("5.")),
        ("1.e2", Some("1.e2")),
        (".e5", None),
        (".", None),
        ("-", None),
        ("+-1", None),
        ("0x10", Some("0")),
        ("\u{a0}12", None),
    ];
    for (text, want) in cases {
        assert_eq!(numeric_prefix(text), want, "{text:?}");
    }
}
