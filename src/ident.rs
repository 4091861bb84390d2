//! PostgreSQL identifiers and literals: quoting, naming styles, 63-byte
//! shortening.
//!
//! Input: names and strings as SQLite stored them (any Unicode text).
//! Output: text that is safe to paste into PostgreSQL SQL.
//!
//! Invariants:
//! - [`quote_ident`] leaves a name bare only when PostgreSQL would read the
//!   bare word back as exactly that name: `[a-z_][a-z0-9_$]*` and not a
//!   keyword that is reserved, "cannot be function or type", a column-name
//!   keyword, or one that requires `AS` as a label (we err on the side of
//!   quoting: quoting is always correct, a missing quote is a syntax error).
//! - [`quote_literal`] assumes `standard_conforming_strings = on` (the
//!   default since PostgreSQL 9.1): backslashes are ordinary characters.
//! - [`snake_case`] is idempotent: `snake_case(snake_case(x)) == snake_case(x)`.
//!   Underscores already in a name are kept as written (`_collections`,
//!   `__pb_users_auth__` stay as they are). A name that starts with a digit
//!   (`123_starts_with_digits`) keeps its digits — applications refer to it by
//!   that name — and [`quote_ident`] quotes it.
//! - [`shorten`] is deterministic and only depends on the name itself.
use sha2::{Digest, Sha256};

/// How SQLite names become PostgreSQL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// Kept exactly as written (quoted where needed).
    #[default]
    AsWritten,
    /// `OrderDetails`, `Order Details` → `order_details`.
    SnakeCase,
    /// PostgreSQL's own folding of unquoted names: ASCII letters to lower
    /// case, nothing else changed (`Lock` → `lock`, `Order Details` →
    /// `"order details"`). SQL the application wrote without quotes keeps
    /// working: `SELECT Lock FROM t` reads `lock`.
    Lower,
}

/// PostgreSQL (up to 17) keywords that cannot safely appear bare as a column
/// or table name: the reserved ones, the "non-reserved (cannot be function or
/// type)" ones, the column-name keywords, and the non-reserved ones that
/// require `AS` as an output label. Sorted, for binary search.
const KEYWORDS_NEEDING_QUOTES: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "day",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "filter",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "hour",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "minute",
    "month",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "over",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "second",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "varying",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "within",
    "without",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
    "year",
];

/// PostgreSQL's NAMEDATALEN - 1: the longest identifier, in bytes.
pub const MAX_IDENT_BYTES: usize = 63;

/// True when `name` is a PostgreSQL keyword that must be quoted to be used
/// as a column or table name (see [`quote_ident`]).
pub fn is_keyword_needing_quotes(name: &str) -> bool {
    KEYWORDS_NEEDING_QUOTES.binary_search(&name).is_ok()
}

fn is_plain_ident(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// Characters that never reach SQL text or a terminal raw: C0 controls but
/// tab, DEL, C1 controls, the Unicode line and paragraph separators, and the
/// invisible direction marks and overrides (which can make a reviewer read
/// text in another order than PostgreSQL does). A raw `\n` or `\r` would end
/// a `--` comment; ESC and C1 CSI drive terminals.
pub fn is_unsafe_char(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{a}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// `s` with every [`is_unsafe_char`] written as an escape — `\n`, `\r`,
/// else `\u00XX` / `\uXXXX` (JSON's spelling, so escaped JSON stays JSON) —
/// for SQL comments and terminal output. Text without one is returned as is.
pub fn escape_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Quote `name` for PostgreSQL where needed: anything but a lower-case,
/// non-keyword `[a-z_][a-z0-9_$]*` is double-quoted, with `"` doubled. A
/// name holding an [`is_unsafe_char`] is written `U&"…"` with those
/// characters as `\XXXX` escapes (and `\` doubled), so no quoted name ever
/// carries a raw line break or control character into the SQL text.
pub fn quote_ident(name: &str) -> String {
    if is_plain_ident(name) && !is_keyword_needing_quotes(name) {
        name.to_string()
    } else if name.chars().any(is_unsafe_char) {
        format!("U&\"{}\"", unicode_escaped(name, '"'))
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// An identifier always in double quotes, `"` doubled, every character raw:
/// for SQLite's SQL (its identifiers have no `U&` form) and for text a
/// server reads straight.
pub fn quote_ident_always(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `name` as text that PostgreSQL's own name readers parse (`::regclass`,
/// `pg_get_serial_sequence`): bare where [`quote_ident`] leaves it bare,
/// else `"…"` with `"` doubled and every character raw — those readers do not
/// know `U&"…"`. For SQL sent straight to the server and for values bound as
/// parameters; in a file, wrap it in [`quote_literal`] (which escapes).
pub fn quote_ident_raw(name: &str) -> String {
    if is_plain_ident(name) && !is_keyword_needing_quotes(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The body of a `U&"…"` or `U&'…'` string: `\` doubled, `quote` doubled,
/// unsafe characters as `\XXXX`.
fn unicode_escaped(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push(c);
                out.push(c);
            }
            c if is_unsafe_char(c) => out.push_str(&format!("\\{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A PostgreSQL string literal: `'it''s'`. A value holding an
/// [`is_unsafe_char`] is written `U&'…'` with those characters as `\XXXX`
/// escapes, so no literal carries a raw line break or control character
/// into the SQL text.
pub fn quote_literal(value: &str) -> String {
    if value.chars().any(is_unsafe_char) {
        format!("U&'{}'", unicode_escaped(value, '\''))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// `OrderDetails` / `Order Details` / `orderID` → `order_details` / `order_id`.
///
/// Rules: letters are lower-cased (Unicode-aware); a word boundary (one `_`)
/// goes before an upper-case letter that follows a lower-case letter or a
/// digit (`orderID` → `order_id`) and before the last upper-case letter of
/// an upper-case run that is followed by a lower-case letter (`HTTPServer` →
/// `http_server`); every run of characters that are neither letters, digits
/// nor `_` becomes one `_`, dropped at either end; existing `_` are kept.
/// A name with nothing left becomes `_` followed by 8 hex digits of its
/// SHA-256, so distinct names stay distinct.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    let mut pending_sep = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            pending_sep = false;
            out.push('_');
            continue;
        }
        if !c.is_alphanumeric() {
            pending_sep = true;
            continue;
        }
        if pending_sep {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            pending_sep = false;
        } else if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary =
                prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower);
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    if out.is_empty() {
        let digest = Sha256::digest(name.as_bytes());
        return format!("_{}", &hex::encode(digest)[..8]);
    }
    out
}

/// Names over 63 bytes (PostgreSQL's NAMEDATALEN-1) shortened
/// deterministically: `None` when `name` already fits.
///
/// The result is `<prefix>_<first 8 hex digits of sha256(name)>`, where the
/// prefix is the longest start of `name` that ends on a char boundary and
/// keeps the whole within 63 bytes. Two long names with the same prefix get
/// different suffixes.
pub fn shorten(name: &str) -> Option<String> {
    if name.len() <= MAX_IDENT_BYTES {
        return None;
    }
    let digest = Sha256::digest(name.as_bytes());
    let suffix = &hex::encode(digest)[..8];
    let budget = MAX_IDENT_BYTES - 1 - suffix.len();
    let mut cut = budget;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{}_{}", &name[..cut], suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_table_is_sorted_for_binary_search() {
        let mut sorted = KEYWORDS_NEEDING_QUOTES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, KEYWORDS_NEEDING_QUOTES);
    }

    #[test]
    fn quote_ident_leaves_plain_lowercase_names_bare() {
        assert_eq!(quote_ident("order_id"), "order_id");
        assert_eq!(quote_ident("_collections"), "_collections");
        assert_eq!(quote_ident("price$usd"), "price$usd");
        assert_eq!(quote_ident("a1"), "a1");
        // Non-reserved keywords are fine as column names.
        assert_eq!(quote_ident("name"), "name");
        assert_eq!(quote_ident("type"), "type");
        assert_eq!(quote_ident("text"), "text");
    }

    #[test]
    fn quote_ident_quotes_keywords_that_cannot_be_column_names() {
        for kw in [
            "user", "order", "select", "end", "left", "group", "having", "and", "from", "to",
            "default", "primary", "table", "column", "check", "offset", "limit", "window", "all",
            "both", "time", "year", "over", "filter",
        ] {
            assert_eq!(quote_ident(kw), format!("\"{kw}\""), "{kw}");
        }
    }

    #[test]
    fn quote_ident_quotes_everything_not_plain_lowercase() {
        assert_eq!(quote_ident("OrderDetails"), "\"OrderDetails\"");
        assert_eq!(quote_ident("Order Details"), "\"Order Details\"");
        assert_eq!(
            quote_ident("table/with/slashes.csv"),
            "\"table/with/slashes.csv\""
        );
        assert_eq!(
            quote_ident("123_starts_with_digits"),
            "\"123_starts_with_digits\""
        );
        assert_eq!(quote_ident("naïve"), "\"naïve\"");
        assert_eq!(quote_ident("a.b"), "\"a.b\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn quote_literal_doubles_single_quotes_and_keeps_backslashes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(""), "''");
        assert_eq!(quote_literal("a\\b"), "'a\\b'");
        assert_eq!(quote_literal("''"), "''''''");
    }

    #[test]
    fn quoted_names_and_literals_never_carry_a_raw_control_character() {
        assert_eq!(quote_ident("a\nb"), "U&\"a\\000Ab\"");
        assert_eq!(quote_ident("x\\\"\u{1b}"), "U&\"x\\\\\"\"\\001B\"");
        assert_eq!(quote_literal("it's\r\n"), "U&'it''s\\000D\\000A'");
        assert_eq!(quote_literal("a\\b\u{2028}"), "U&'a\\\\b\\2028'");
        for s in ["\u{85}", "\u{9b}[2J", "\u{202e}x", "\u{7f}"] {
            for q in [quote_ident(s), quote_literal(s)] {
                assert!(!q.chars().any(is_unsafe_char), "{q:?}");
            }
        }
        // Tabs and ordinary text are left alone.
        assert_eq!(quote_literal("a\tb"), "'a\tb'");
    }

    #[test]
    fn escape_text_writes_line_breaks_and_controls_as_escapes() {
        assert_eq!(escape_text("plain ✓"), "plain ✓");
        assert_eq!(
            escape_text("notes\nDROP TABLE victim;\r\u{1b}[2J\u{2029}"),
            "notes\\nDROP TABLE victim;\\r\\u001b[2J\\u2029"
        );
    }

    #[test]
    fn snake_case_splits_camel_and_pascal_case() {
        assert_eq!(snake_case("OrderDetails"), "order_details");
        assert_eq!(snake_case("orderID"), "order_id");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("tokenKey"), "token_key");
        assert_eq!(
            snake_case("IFK_TrackMediaTypeId"),
            "ifk_track_media_type_id"
        );
        assert_eq!(snake_case("Address2Line"), "address2_line");
        assert_eq!(snake_case("address2"), "address2");
    }

    #[test]
    fn snake_case_turns_separators_into_one_underscore() {
        assert_eq!(snake_case("Order Details"), "order_details");
        assert_eq!(
            snake_case("table/with/slashes.csv"),
            "table_with_slashes_csv"
        );
        assert_eq!(
            snake_case("[name with . and spaces]"),
            "name_with_and_spaces"
        );
        assert_eq!(snake_case("a - b"), "a_b");
    }

    #[test]
    fn snake_case_keeps_existing_underscores_and_leading_digits() {
        assert_eq!(snake_case("_collections"), "_collections");
        assert_eq!(snake_case("__pb_users_auth__"), "__pb_users_auth__");
        assert_eq!(
            snake_case("123_starts_with_digits"),
            "123_starts_with_digits"
        );
    }

    #[test]
    fn snake_case_lowercases_non_ascii_letters() {
        assert_eq!(snake_case("Ünïcode Name"), "ünïcode_name");
        assert_eq!(snake_case("書名"), "書名");
        assert_eq!(snake_case("ÄrgerÖl"), "ärger_öl");
    }

    #[test]
    fn snake_case_is_idempotent() {
        for name in [
            "OrderDetails",
            "Order Details",
            "orderID",
            "HTTPServer",
            "table/with/slashes.csv",
            "__pb_users_auth__",
            "ÄrgerÖl",
            "a - b",
        ] {
            let once = snake_case(name);
            assert_eq!(snake_case(&once), once, "{name}");
        }
    }

    #[test]
    fn snake_case_of_name_without_letters_is_a_stable_hash() {
        let a = snake_case("!!!");
        assert!(a.starts_with('_') && a.len() == 9, "{a}");
        assert_eq!(a, snake_case("!!!"));
        assert_ne!(a, snake_case("???"));
    }

    #[test]
    fn shorten_returns_none_for_names_that_fit() {
        assert_eq!(shorten("short"), None);
        assert_eq!(shorten(&"a".repeat(63)), None);
    }

    #[test]
    fn shorten_cuts_long_names_to_63_bytes_with_hash_suffix() {
        let long = "x".repeat(64);
        let short = shorten(&long).unwrap_or_default();
        assert_eq!(short.len(), 63);
        assert!(short.starts_with(&"x".repeat(54)));
        let suffix = &short[55..];
        assert_eq!(suffix.len(), 8);
        assert!(suffix.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(shorten(&long), Some(short.clone()));
        // Same prefix, different name: different result.
        let other = format!("{}y", "x".repeat(64));
        assert_ne!(shorten(&other), Some(short));
    }

    #[test]
    fn shorten_cuts_on_a_char_boundary() {
        // 'é' is 2 bytes: 30 of them are 60 bytes, 40 are 80.
        let long = "é".repeat(40);
        let short = shorten(&long).unwrap_or_default();
        assert!(short.len() <= 63, "{}", short.len());
        assert!(short.starts_with(&"é".repeat(27)));
        assert_eq!(short.len(), 27 * 2 + 1 + 8);
    }
}
