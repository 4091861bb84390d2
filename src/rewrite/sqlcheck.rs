//! A rule pack is configuration, not code: the SQL a rule writes is checked
//! here before it can reach a migration set.
//!
//! Input: the text of a rule's `then.type` or `then.default`, as written or
//! as rendered for one column. Output: [`pg_type`] re-prints exactly one
//! PostgreSQL type name from its parse (qualified name, modifiers, array
//! bounds) — never the text as written; [`expression`] accepts exactly one
//! expression (sqlparser, PostgreSQL dialect) with no comment and no `;`.
//!
//! Invariants: what [`pg_type`] returns is built only from words, quoted
//! names (re-quoted by [`crate::ident::quote_ident`]), integers and the
//! punctuation `. ( , ) [ ]`; it can close no column definition, open no
//! clause (`GENERATED`, `DEFAULT`, `NOT NULL`, `COLLATE`, …) and end no
//! statement.
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

/// Type names of more than one word (lower case, words only; modifiers may
/// stand after any prefix: `timestamp(3) with time zone`).
const MULTI_WORD_TYPES: &[&str] = &[
    "double precision",
    "character varying",
    "char varying",
    "national character",
    "national char",
    "national character varying",
    "national char varying",
    "nchar varying",
    "bit varying",
    "time with time zone",
    "time without time zone",
    "timestamp with time zone",
    "timestamp without time zone",
    "interval year",
    "interval month",
    "interval day",
    "interval hour",
    "interval minute",
    "interval second",
    "interval year to month",
    "interval day to hour",
    "interval day to minute",
    "interval day to second",
    "interval hour to minute",
    "interval hour to second",
    "interval minute to second",
];

/// Keywords PostgreSQL only accepts as (part of) a type name, though they
/// must be quoted as column names.
const TYPE_KEYWORDS: &[&str] = &[
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "dec",
    "decimal",
    "float",
    "int",
    "integer",
    "interval",
    "json",
    "national",
    "nchar",
    "numeric",
    "real",
    "smallint",
    "time",
    "timestamp",
    "varchar",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Int(String),
    Punct(char),
}

fn tokens(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_$".contains(chars[i])) {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Int(chars[start..i].iter().collect()));
        } else if c == '"' {
            let mut name = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("a quoted name is not closed".into()),
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        name.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) if crate::ident::is_unsafe_char(c) => {
                        return Err("a quoted name holds a control character".into());
                    }
                    Some(&c) => {
                        name.push(c);
                        i += 1;
                    }
                }
            }
            if name.is_empty() {
                return Err("an empty quoted name".into());
            }
            out.push(Tok::Quoted(name));
        } else if ".(),[]".contains(c) {
            out.push(Tok::Punct(c));
            i += 1;
        } else {
            return Err(format!(
                "`{}` cannot appear in a type name",
                c.escape_debug()
            ));
        }
    }
    Ok(out)
}

/// Parse `text` as exactly one PostgreSQL type name and print it again from
/// the parse: words as written, one space between words, modifiers and
/// array bounds without spaces (`numeric(10,2)`, `geometry(Point,4326)`,
/// `real[]`, `timestamp(3) with time zone`, `public.vector(384)`).
pub fn pg_type(text: &str) -> Result<String, String> {
    let toks = tokens(text)?;
    let mut i = 0;
    let mut out = String::new();
    // A qualified name: part (. part)*.
    let mut parts = Vec::new();
    loop {
        match toks.get(i) {
            Some(Tok::Word(w)) => parts.push(w.clone()),
            Some(Tok::Quoted(q)) => parts.push(crate::ident::quote_ident(q)),
            _ => return Err("expected a type name".into()),
        }
        i += 1;
        if toks.get(i) == Some(&Tok::Punct('.')) {
            i += 1;
        } else {
            break;
        }
    }
    out.push_str(&parts.join("."));
    // Further words, a modifier list, further words (`… with time zone`).
    let mut words = vec![parts.join(".").to_lowercase()];
    let mut modifiers = false;
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Word(w) if parts.len() == 1 => {
                words.push(w.to_lowercase());
                out.push(' ');
                out.push_str(w);
                i += 1;
            }
            Tok::Punct('(') if !modifiers => {
                modifiers = true;
                i = modifier_list(&toks, i, &mut out)?;
            }
            _ => break,
        }
    }
    let name = words.join(" ");
    let single = words.len() == 1;
    if single && parts.len() == 1 {
        let w = name.as_str();
        if crate::ident::is_keyword_needing_quotes(w) && !TYPE_KEYWORDS.contains(&w) {
            return Err(format!("`{w}` is a keyword, not a type name"));
        }
    } else if !single && !MULTI_WORD_TYPES.contains(&name.as_str()) {
        return Err(format!(
            "`{name}` is not a type name (more than one word: only PostgreSQL's own, like `double precision`)"
        ));
    }
    // Array bounds.
    while toks.get(i) == Some(&Tok::Punct('[')) {
        i += 1;
        out.push('[');
        if let Some(Tok::Int(n)) = toks.get(i) {
            out.push_str(n);
            i += 1;
        }
        if toks.get(i) != Some(&Tok::Punct(']')) {
            return Err("an array bound ends with `]`".into());
        }
        out.push(']');
        i += 1;
    }
    if i < toks.len() {
        return Err("more than one type name (what follows the type is not allowed)".into());
    }
    Ok(out)
}

/// A type's modifier list `(…)` starting at `toks[i]`, printed to `out`
/// without spaces; the index past its `)`.
fn modifier_list(toks: &[Tok], mut i: usize, out: &mut String) -> Result<usize, String> {
    i += 1;
    out.push('(');
    loop {
        match toks.get(i) {
            Some(Tok::Int(n)) => out.push_str(n),
            Some(Tok::Word(w)) => out.push_str(w),
            _ => return Err("a type modifier is an integer or a word".into()),
        }
        i += 1;
        match toks.get(i) {
            Some(Tok::Punct(',')) => out.push(','),
            Some(Tok::Punct(')')) => {
                out.push(')');
                return Ok(i + 1);
            }
            _ => return Err("a type modifier list ends with `)`".into()),
        }
        i += 1;
    }
}

/// `text` without its `'…'` strings and `"…"` names, or why it is refused:
/// escape strings (`E'…'`, `U&'…'`) and `$` (dollar quoting, parameters)
/// are not taken, since their ends depend on settings and tags.
fn outside_quotes(text: &str) -> Result<String, String> {
    let mut rest = String::new();
    let mut chars = text.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                if c == '\'' && (prev.is_alphanumeric() || prev == '&' || prev == '_') {
                    return Err("escape strings (E'…', U&'…') are not allowed".into());
                }
                loop {
                    match chars.next() {
                        None => return Err("a quote is not closed".into()),
                        Some(q) if q == c && chars.peek() == Some(&c) => {
                            chars.next();
                        }
                        Some(q) if q == c => break,
                        Some(_) => {}
                    }
                }
                rest.push(' ');
            }
            '$' => return Err("`$` (dollar quoting, parameters) is not allowed".into()),
            c => rest.push(c),
        }
        prev = c;
    }
    Ok(rest)
}

/// Check that `text` is exactly one SQL expression: it parses, nothing
/// follows it, and it holds no comment, no `;` and no backslash outside its
/// strings. The lexical check comes first and is PostgreSQL's, not
/// sqlparser's: sqlparser reads `#/*` as one operator where PostgreSQL
/// starts a comment.
pub fn expression(text: &str) -> Result<(), String> {
    let rest = outside_quotes(text)?;
    for bad in ["--", "/*", "*/", ";", "\\"] {
        if rest.contains(bad) {
            return Err(format!(
                "`{bad}` is not allowed in an expression (outside a string)"
            ));
        }
    }
    let dialect = PostgreSqlDialect {};
    let toks = Tokenizer::new(&dialect, text)
        .tokenize()
        .map_err(|e| e.to_string())?;
    for t in &toks {
        match t {
            Token::Whitespace(Whitespace::SingleLineComment { .. })
            | Token::Whitespace(Whitespace::MultiLineComment(_)) => {
                return Err("a comment is not allowed in an expression".into());
            }
            Token::SemiColon => return Err("`;` is not allowed in an expression".into()),
            _ => {}
        }
    }
    if text.chars().any(crate::ident::is_unsafe_char) {
        return Err("a control character is not allowed in an expression".into());
    }
    let mut p = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| e.to_string())?;
    p.parse_expr().map_err(|e| e.to_string())?;
    match p.peek_token().token {
        Token::EOF => Ok(()),
        t => Err(format!("more than one expression: `{t}` follows it")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_reprinted_from_their_parse() {
        for (t, want) in [
            ("text", "text"),
            ("double precision", "double precision"),
            ("numeric(10, 2)", "numeric(10,2)"),
            ("varchar(255)", "varchar(255)"),
            ("real[]", "real[]"),
            ("int[3][]", "int[3][]"),
            ("vector(384)", "vector(384)"),
            ("geometry(Point, 4326)", "geometry(Point,4326)"),
            ("public.vector(3)", "public.vector(3)"),
            ("\"My Type\"", "\"My Type\""),
            ("timestamp(3) with time zone", "timestamp(3) with time zone"),
            ("  timestamptz ", "timestamptz"),
            ("interval day to second(3)", "interval day to second(3)"),
        ] {
            assert_eq!(pg_type(t).as_deref(), Ok(want), "{t}");
        }
    }

    #[test]
    fn anything_but_one_type_name_is_refused() {
        for t in [
            "text, pwn text); DROP TABLE IF EXISTS victim; CREATE TABLE zz (title text",
            "text GENERATED ALWAYS AS (pg_read_file('/etc/passwd')) STORED",
            "text NOT NULL",
            "text DEFAULT 1",
            "text COLLATE \"C\"",
            "text -- x",
            "text /* x */",
            "numeric(1+1)",
            "numeric('a')",
            "select",
            "",
            "text[",
            "\"a\nb\"",
            "integer references victim",
        ] {
            assert!(
                pg_type(t).is_err(),
                "{t:?} must be refused: {:?}",
                pg_type(t)
            );
        }
    }

    #[test]
    fn an_expression_is_exactly_one() {
        for e in [
            "gen_random_uuid()",
            "('2020-01-01'::timestamp AT TIME ZONE 'UTC')",
            "to_timestamp(17 / 1000.0)",
            "false",
            "'a;b'",
            "'*/ 0); DROP -- it is a string'",
            "\"col--name\" + 1",
        ] {
            assert_eq!(expression(e), Ok(()), "{e}");
        }
        for e in [
            "1; DROP TABLE victim",
            "1 -- x",
            "1 /* x */",
            "1 #/* 2",
            "0 #-- x",
            "E'\\' || 1",
            "$$x$$",
            "1, 2",
            "1) NOT NULL, pwn text CHECK (true",
            "",
        ] {
            assert!(expression(e).is_err(), "{e:?} must be refused");
        }
    }
}
