//! SQLite scalar functions → PostgreSQL: the function map.
//!
//! Input: a parsed call and the [`Translator`] state. Output: a [`Frag`] or
//! the reason the function has no mapping. Names are matched
//! case-insensitively; anything not listed here (application functions
//! such as `title_sort`, aggregates, window functions) is untranslatable.
use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectNamePart,
};

use super::{Frag, Kind, R, Translator, fail, prec, time};
use crate::ident::quote_literal;

/// The positional arguments of a call; `None` when written without
/// parentheses (`CURRENT_TIMESTAMP`).
fn plain_args(f: &Function) -> R<Option<Vec<&Expr>>> {
    match &f.args {
        FunctionArguments::None => Ok(None),
        FunctionArguments::Subquery(_) => fail(format!("subquery argument in `{f}`")),
        FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return fail(format!("aggregate call `{f}`"));
            }
            let mut out = Vec::with_capacity(list.args.len());
            for a in &list.args {
                match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => out.push(e),
                    _ => return fail(format!("unsupported argument in `{f}`")),
                }
            }
            Ok(Some(out))
        }
    }
}

fn arity(name: &str, args: &[&Expr], min: usize, max: usize) -> R<()> {
    if args.len() < min || args.len() > max {
        return fail(format!(
            "{name}() with {} argument(s) (expected {min}{})",
            args.len(),
            if max == min {
                String::new()
            } else if max == usize::MAX {
                " or more".to_string()
            } else {
                format!(" to {max}")
            }
        ));
    }
    Ok(())
}

/// Translate a function call.
pub(super) fn call(t: &mut Translator, f: &Function, hint: Option<Kind>) -> R<Frag> {
    let name = match f.name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => id.value.to_ascii_lowercase(),
        _ => return fail(format!("qualified function name `{}`", f.name)),
    };
    if let Some(r) = super::appfn::postgres_call(t, f) {
        return r;
    }
    if t.scope.is_some()
        && let Some(r) = super::query::aggregate_or_window(t, f, &name)
    {
        return r;
    }
    if f.over.is_some() {
        return fail(format!("window function `{name}`"));
    }
    if f.filter.is_some() || !f.within_group.is_empty() || f.null_treatment.is_some() {
        return fail(format!("aggregate call `{name}`"));
    }
    if !matches!(f.parameters, FunctionArguments::None) {
        return fail(format!("unsupported call `{f}`"));
    }
    let args = plain_args(f)?;
    let Some(args) = args else {
        return match name.as_str() {
            "current_timestamp" | "current_date" | "current_time" => time::keyword(t, &name, hint),
            _ => fail(format!("unsupported keyword `{name}`")),
        };
    };
    let args = args.as_slice();
    match name.as_str() {
        "ifnull" | "coalesce" => {
            if name == "ifnull" {
                arity(&name, args, 2, 2)?;
            } else {
                arity(&name, args, 2, usize::MAX)?;
            }
            let frags = exprs(t, args, hint)?;
            let frags = t.unify(frags);
            Ok(Frag::call(
                format!("coalesce({})", join(&frags)),
                first_kind(&frags),
            ))
        }
        "nullif" => {
            arity(&name, args, 2, 2)?;
            let frags = exprs(t, args, None)?;
            let frags = t.unify(frags);
            Ok(Frag::call(
                format!("nullif({})", join(&frags)),
                first_kind(&frags),
            ))
        }
        "iif" => {
            arity(&name, args, 3, 3)?;
            let c = t.expr(args[0], None)?;
            let c = t.as_bool(c)?;
            let r = exprs(t, &args[1..], hint)?;
            let r = t.unify(r);
            Ok(Frag::atom(
                format!(
                    "CASE WHEN {} THEN {} ELSE {} END",
                    c.sql, r[0].sql, r[1].sql
                ),
                first_kind(&r),
            ))
        }
        "instr" => {
            arity(&name, args, 2, 2)?;
            let a = text_arg(t, args[0], &name)?;
            let b = text_arg(t, args[1], &name)?;
            Ok(Frag::call(
                format!("strpos({}, {})", a.sql, b.sql),
                Kind::Int,
            ))
        }
        "length" => {
            arity(&name, args, 1, 1)?;
            let x = t.expr(args[0], None)?;
            let sql = match x.kind {
                Kind::Int => format!("length({})", x.cast("text")),
                Kind::Text | Kind::Bytes | Kind::Null | Kind::Other => {
                    format!("length({})", x.sql)
                }
                k => return fail(format!("length() of a {} value", k.name())),
            };
            Ok(Frag::call(sql, Kind::Int))
        }
        "lower" | "upper" => {
            arity(&name, args, 1, 1)?;
            // lower(hex(blob)) is just the hex encoding.
            if name == "lower"
                && let Some(inner) = hex_of_bytes(t, args[0])?
            {
                return Ok(Frag::call(
                    format!("encode({}, 'hex')", inner.sql),
                    Kind::Text,
                ));
            }
            let x = text_arg(t, args[0], &name)?;
            t.note(
                "lower()/upper(): SQLite folds ASCII letters only, PostgreSQL folds all letters",
            );
            Ok(Frag::call(format!("{name}({})", x.sql), Kind::Text))
        }
        "ltrim" | "rtrim" | "trim" => {
            arity(&name, args, 1, 2)?;
            let chars: Vec<Expr> = args[1..].iter().map(|e| (*e).clone()).collect();
            trim(
                t,
                &name,
                args[0],
                Some(&chars).filter(|c| !c.is_empty()).map(|c| &c[..]),
            )
        }
        "replace" => {
            arity(&name, args, 3, 3)?;
            let mut v = Vec::new();
            for a in args {
                v.push(text_arg(t, a, &name)?);
            }
            Ok(Frag::call(format!("replace({})", join(&v)), Kind::Text))
        }
        "abs" => {
            arity(&name, args, 1, 1)?;
            let x = t.expr(args[0], None)?;
            let x = t.as_num(x);
            Ok(Frag::call(format!("abs({})", x.sql), x.kind))
        }
        "round" => {
            arity(&name, args, 1, 2)?;
            let x = t.expr(args[0], None)?;
            let x = t.as_num(x);
            let mut sql = format!("round({}", x.cast("numeric"));
            if let Some(n) = args.get(1) {
                let n = t.expr(n, None)?;
                match n.int_lit {
                    Some(i) if i < 0 => {
                        return fail("round() with negative digits (SQLite treats them as 0)");
                    }
                    Some(_) => {}
                    None => {
                        t.note("round(x, n): SQLite treats a negative n as 0, PostgreSQL does not")
                    }
                }
                sql.push_str(", ");
                sql.push_str(&n.sql);
            }
            sql.push(')');
            Ok(Frag::call(sql, Kind::Numeric))
        }
        "max" | "min" => {
            if args.len() < 2 {
                return fail(format!("aggregate {name}()"));
            }
            let frags = exprs(t, args, hint)?;
            let frags = t.unify(frags);
            t.note(
                "multi-argument max()/min() → greatest()/least(): PostgreSQL ignores NULL \
                 arguments, SQLite returns NULL if any argument is NULL",
            );
            let pg = if name == "max" { "greatest" } else { "least" };
            Ok(Frag::call(
                format!("{pg}({})", join(&frags)),
                first_kind(&frags),
            ))
        }
        "char" => {
            if args.is_empty() {
                return Ok(super::string_literal(""));
            }
            let mut parts = Vec::new();
            for a in args {
                let x = t.expr(a, None)?;
                let x = t.as_num(x);
                parts.push(format!("chr({})", x.sql));
            }
            if parts.len() == 1 {
                Ok(Frag::call(parts.remove(0), Kind::Text))
            } else {
                Ok(Frag::new(parts.join(" || "), prec::OTHER, Kind::Text))
            }
        }
        "hex" => {
            arity(&name, args, 1, 1)?;
            let x = t.expr(args[0], None)?;
            let bytes = match x.kind {
                Kind::Bytes => x.sql,
                Kind::Text => format!("convert_to({}, 'UTF8')", x.sql),
                Kind::Int => format!("convert_to({}, 'UTF8')", x.cast("text")),
                k => return fail(format!("hex() of a {} value", k.name())),
            };
            Ok(Frag::call(
                format!("upper(encode({bytes}, 'hex'))"),
                Kind::Text,
            ))
        }
        "randomblob" => {
            arity(&name, args, 1, 1)?;
            let n = t.expr(args[0], None)?;
            match n.int_lit {
                Some(i) if !(1..=1024).contains(&i) => {
                    return fail(format!(
                        "randomblob({i}): gen_random_bytes() takes 1 to 1024 bytes"
                    ));
                }
                Some(_) => {}
                None => {
                    if !matches!(n.kind, Kind::Int | Kind::Other) {
                        return fail(format!("randomblob() of a {} value", n.kind.name()));
                    }
                }
            }
            if t.ctx.pgcrypto {
                t.extension("pgcrypto");
                return Ok(Frag::call(
                    format!("gen_random_bytes({})", n.sql),
                    Kind::Bytes,
                ));
            }
            // Core PostgreSQL (no pgcrypto): SHA-256 of a random version-4
            // UUID gives 32 bytes carrying its 122 random bits.
            match n.int_lit {
                Some(i) if i <= 32 => {
                    t.note(format!("randomblob({i}) without pgcrypto: {i} bytes of sha256(gen_random_uuid()), {} random bits", (i * 8).min(122)));
                    Ok(Frag::call(
                        format!("substring(sha256(uuid_send(gen_random_uuid())) FROM 1 FOR {i})"),
                        Kind::Bytes,
                    ))
                }
                _ => fail(
                    "randomblob() of more than 32 bytes, or of a computed length, needs pgcrypto's gen_random_bytes(); the target has no pgcrypto",
                ),
            }
        }
        "datetime" | "date" | "time" | "strftime" | "unixepoch" | "julianday" => {
            time::call(t, &name, args, hint)
        }
        "json_extract" => {
            arity(&name, args, 2, 2)?;
            let doc = t.expr(args[0], None)?;
            let path = t.expr(args[1], None)?;
            let Some(path) = path.str_lit else {
                return fail("json_extract() with a path that is not a string literal");
            };
            let elems = json_path(&path)?;
            let doc_sql = if doc.kind == Kind::Json {
                doc.wrap(prec::OTHER)
            } else if matches!(doc.kind, Kind::Text | Kind::Other | Kind::Null) {
                doc.cast("jsonb")
            } else {
                return fail(format!("json_extract() of a {} value", doc.kind.name()));
            };
            t.note(
                "json_extract() → #>>: PostgreSQL returns text (JSON true/false as 'true'/'false', \
                 objects re-serialised); SQLite returns the value's own SQL type",
            );
            Ok(Frag::new(
                format!("{doc_sql} #>> {}", quote_literal(&pg_text_array(&elems))),
                prec::OTHER,
                Kind::Text,
            ))
        }
        "json_valid" => fail(
            "json_valid(): needs PostgreSQL 16+ `IS JSON`, and the target version is not known",
        ),
        "typeof" => {
            arity(&name, args, 1, 1)?;
            typeof_column(t, args[0])
        }
        "substr" | "substring" => {
            arity(&name, args, 2, 3)?;
            substr(t, args[0], args.get(1).copied(), args.get(2).copied())
        }
        "printf" | "format" => printf(t, &name, args),
        "count" | "sum" | "total" | "avg" | "group_concat" | "string_agg" => {
            fail(format!("aggregate {name}()"))
        }
        _ => fail(format!(
            "function `{name}` has no PostgreSQL mapping (application-defined or unsupported)"
        )),
    }
}

/// One step of a `->` path: an object key or an array index.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
}

/// The steps of SQLite's `->` right operand: a JSON path (`$`, `.key`,
/// `."quoted key"`, `[N]`), a plain name (one key) or an integer (one
/// index). Negative indexes, `#` and other labels are refused.
fn arrow_steps(r: &Frag) -> R<Vec<Step>> {
    if let Some(i) = r.int_lit {
        return if i >= 0 {
            Ok(vec![Step::Index(i)])
        } else {
            fail(format!("`-> {i}`: a negative index"))
        };
    }
    let Some(path) = &r.str_lit else {
        return fail("`->` with a right operand that is not a literal");
    };
    let Some(mut rest) = path.strip_prefix('$') else {
        // SQLite reads a label as a path (`'a.b'` is `$.a.b`, `'2'` an
        // index): only a plain name is one key for certain.
        let plain = path.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && path.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return fail(format!("`->` label '{path}': SQLite reads it as a path"));
        }
        return Ok(vec![Step::Key(path.clone())]);
    };
    let bad = || {
        fail(format!(
            "`->` path '{path}' (only keys and non-negative indexes)"
        ))
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix(".\"") {
            let Some(end) = q.find('"') else { return bad() };
            out.push(Step::Key(q[..end].to_string()));
            rest = &q[end + 1..];
        } else if let Some(k) = rest.strip_prefix('.') {
            let end = k.find(['.', '[']).unwrap_or(k.len());
            if end == 0 || k[..end].contains('"') {
                return bad();
            }
            out.push(Step::Key(k[..end].to_string()));
            rest = &k[end..];
        } else if let Some(i) = rest.strip_prefix('[') {
            let end = i.find(']').unwrap_or(0);
            let Ok(n) = i[..end].parse::<i64>() else {
                return bad();
            };
            if n < 0 || !i[..end].bytes().all(|b| b.is_ascii_digit()) {
                return bad();
            }
            out.push(Step::Index(n));
            rest = &i[end + 1..];
        } else {
            return bad();
        }
    }
    Ok(out)
}

/// `doc -> path` on a jsonb column: one PostgreSQL `->` per step, a text
/// key for a key and an integer for an index. Each is NULL where
/// SQLite's path finds nothing (a key of an array, an index of an
/// object), and the value is the same JSON (SQLite's minified text,
/// PostgreSQL's jsonb). Only a json/jsonb left side: SQLite raises an
/// error on text that is not JSON.
pub(super) fn json_arrow(doc: Frag, r: Frag) -> R<Frag> {
    if doc.kind != Kind::Json {
        return fail(format!(
            "`->` on a {} value ({}): only json and jsonb columns",
            doc.kind.name(),
            doc.sql
        ));
    }
    let mut sql = doc.wrap(prec::OTHER);
    for step in arrow_steps(&r)? {
        sql = match step {
            Step::Key(k) => format!("{sql} -> {}", quote_literal(&k)),
            Step::Index(i) => format!("{sql} -> {i}"),
        };
    }
    Ok(Frag::new(sql, prec::OTHER, Kind::Json))
}

/// A piece of a printf format: literal text or a conversion (`s`, `d`).
#[derive(Debug, PartialEq)]
enum Piece {
    Lit(String),
    Conv(char),
}

/// The pieces of a printf format made of `%s`, `%d` and `%%` only: those
/// print alike in both engines. Flags, widths, precisions and the other
/// conversions (`%f`, `%x`, `%q`, …) are refused with the reason.
fn printf_pieces(fmt: &str) -> R<Vec<Piece>> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => lit.push('%'),
            Some(k @ ('s' | 'd')) => {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(Piece::Conv(k));
            }
            Some(k) => {
                return fail(format!(
                    "printf() conversion `%{k}`: only %s, %d and %% print the same in \
                     PostgreSQL (widths and flags count bytes in SQLite, numbers format differently)"
                ));
            }
            None => return fail("printf() format ending in `%`"),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// One printf conversion of `e`: `%s` prints NULL as nothing, `%d` as 0;
/// integers and text print as themselves. Other values are refused:
/// SQLite prints a real with 15 significant digits, a boolean as 0/1,
/// and reads text under `%d` as a number.
fn printf_arg(t: &mut Translator, conv: char, e: &Expr) -> R<String> {
    let x = t.expr(e, None)?;
    let null = if conv == 'd' { "'0'" } else { "''" };
    match (conv, x.kind) {
        (_, Kind::Null) => Ok(null.to_string()),
        (_, Kind::Int) => Ok(format!("coalesce({}, {null})", x.cast("text"))),
        ('s', Kind::Text) => Ok(format!("coalesce({}, '')", x.sql)),
        (_, k) => fail(format!(
            "printf() %{conv} of a {} value ({}): SQLite and PostgreSQL print it differently",
            k.name(),
            x.sql
        )),
    }
}

/// `printf(fmt, …)` / `format(fmt, …)` with a literal format of `%s`,
/// `%d` and `%%` ([`printf_pieces`]) and exactly one argument per
/// conversion: the pieces concatenated with `||` (IMMUTABLE, unlike
/// PostgreSQL's `format`).
fn printf(t: &mut Translator, name: &str, args: &[&Expr]) -> R<Frag> {
    arity(name, args, 1, usize::MAX)?;
    let f = t.expr(args[0], None)?;
    let Some(fmt) = f.str_lit else {
        return fail(format!(
            "{name}() with a format that is not a string literal"
        ));
    };
    let pieces = printf_pieces(&fmt)?;
    let convs = pieces
        .iter()
        .filter(|p| matches!(p, Piece::Conv(_)))
        .count();
    if convs != args.len() - 1 {
        return fail(format!(
            "{name}() with {} argument(s) for {convs} conversion(s)",
            args.len() - 1
        ));
    }
    let mut rest = args[1..].iter();
    let mut parts = Vec::new();
    for p in &pieces {
        parts.push(match p {
            Piece::Lit(s) => quote_literal(s),
            Piece::Conv(c) => printf_arg(t, *c, rest.next().expect("counted above"))?,
        });
    }
    let sql = match parts.as_slice() {
        [] => "''".to_string(),
        [one] => one.clone(),
        _ => format!("({})", parts.join(" || ")),
    };
    Ok(Frag::atom(sql, Kind::Text))
}

fn exprs(t: &mut Translator, args: &[&Expr], hint: Option<Kind>) -> R<Vec<Frag>> {
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        out.push(t.expr(a, hint)?);
    }
    Ok(out)
}

fn join(frags: &[Frag]) -> String {
    frags
        .iter()
        .map(|f| f.sql.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn first_kind(frags: &[Frag]) -> Kind {
    frags
        .iter()
        .map(|f| f.kind)
        .find(|k| *k != Kind::Null)
        .unwrap_or(Kind::Null)
}

/// An argument a text function can take as is.
fn text_arg(t: &mut Translator, e: &Expr, func: &str) -> R<Frag> {
    let x = t.expr(e, None)?;
    match x.kind {
        Kind::Text | Kind::Null | Kind::Other | Kind::Json => Ok(x),
        Kind::Int => Ok(Frag::new(x.cast("text"), prec::CAST, Kind::Text)),
        k => fail(format!("{func}() of a {} value", k.name())),
    }
}

/// `hex(<bytes>)` as the bytes expression, when `e` is that.
fn hex_of_bytes(t: &mut Translator, e: &Expr) -> R<Option<Frag>> {
    let mut e = e;
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    let Expr::Function(f) = e else {
        return Ok(None);
    };
    let is_hex = matches!(f.name.0.as_slice(),
        [ObjectNamePart::Identifier(id)] if id.value.eq_ignore_ascii_case("hex"));
    if !is_hex || f.over.is_some() || f.filter.is_some() {
        return Ok(None);
    }
    let Some(args) = plain_args(f)? else {
        return Ok(None);
    };
    let [arg] = args.as_slice() else {
        return Ok(None);
    };
    let x = t.expr(arg, None)?;
    Ok((x.kind == Kind::Bytes).then_some(x))
}

/// `substr(x, start[, len])`, only where SQLite and PostgreSQL agree.
pub(super) fn substr(
    t: &mut Translator,
    x: &Expr,
    from: Option<&Expr>,
    len: Option<&Expr>,
) -> R<Frag> {
    let x = t.expr(x, None)?;
    let x = match x.kind {
        Kind::Int => Frag::new(x.cast("text"), prec::CAST, Kind::Text),
        Kind::Text | Kind::Bytes | Kind::Null | Kind::Other => x,
        k => return fail(format!("substr() of a {} value", k.name())),
    };
    let Some(from) = from else {
        return fail("substr() without a start");
    };
    let s = t.expr(from, None)?;
    match s.int_lit {
        Some(i) if i <= 0 => {
            return fail(format!(
                "substr() with start {i}: SQLite counts from the end (or before the start), \
                 PostgreSQL does not"
            ));
        }
        Some(_) => {}
        None => t.note(
            "substr() with a computed start: assumed positive (SQLite counts a negative \
             start from the end, PostgreSQL does not)",
        ),
    }
    let mut sql = format!("substr({}, {}", x.sql, s.sql);
    if let Some(len) = len {
        let n = t.expr(len, None)?;
        match n.int_lit {
            Some(i) if i < 0 => {
                return fail(format!(
                    "substr() with length {i}: SQLite takes characters before the start, \
                     PostgreSQL rejects it"
                ));
            }
            Some(_) => {}
            None => t.note(
                "substr() with a computed length: assumed non-negative (SQLite reads a \
                 negative length backwards, PostgreSQL rejects it)",
            ),
        }
        sql.push_str(", ");
        sql.push_str(&n.sql);
    }
    sql.push(')');
    Ok(Frag::call(sql, x.kind))
}

/// `trim(x[, chars])`, `ltrim`, `rtrim`: same names in PostgreSQL, except
/// two-argument `trim` which is `btrim`.
pub(super) fn trim(t: &mut Translator, name: &str, x: &Expr, chars: Option<&[Expr]>) -> R<Frag> {
    let x = text_arg(t, x, name)?;
    match chars {
        None => Ok(Frag::call(format!("{name}({})", x.sql), Kind::Text)),
        Some([c]) => {
            let c = text_arg(t, c, name)?;
            let pg = if name == "trim" { "btrim" } else { name };
            Ok(Frag::call(
                format!("{pg}({}, {})", x.sql, c.sql),
                Kind::Text,
            ))
        }
        Some(more) => fail(format!("{name}() with {} arguments", more.len() + 1)),
    }
}

/// `x GLOB 'pattern'`: a literal pattern without character classes becomes
/// `LIKE` (GLOB is case-sensitive, like PostgreSQL's LIKE); one with
/// classes becomes an anchored regular expression. Computed patterns are
/// untranslatable.
pub(super) fn glob(x: Frag, pattern: Frag) -> R<Frag> {
    let Some(p) = pattern.str_lit else {
        return fail("GLOB with a pattern that is not a string literal");
    };
    if !p.contains('[') {
        let mut like = String::new();
        for c in p.chars() {
            match c {
                '*' => like.push('%'),
                '?' => like.push('_'),
                '%' | '_' | '\\' => {
                    like.push('\\');
                    like.push(c);
                }
                c => like.push(c),
            }
        }
        return Ok(Frag::new(
            format!("{} LIKE {}", x.wrap(prec::OTHER), quote_literal(&like)),
            prec::LIKE,
            Kind::Bool,
        ));
    }
    let mut re = String::from("^");
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'^') {
                    re.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    return fail("GLOB character class starting with `]`");
                }
                let mut closed = false;
                for c in chars.by_ref() {
                    match c {
                        ']' => {
                            closed = true;
                            break;
                        }
                        '\\' | '[' => {
                            re.push('\\');
                            re.push(c);
                        }
                        c => re.push(c),
                    }
                }
                if !closed {
                    return fail("GLOB pattern with an unclosed `[`");
                }
                re.push(']');
            }
            c if ".^$|()+{}\\".contains(c) => {
                re.push('\\');
                re.push(c);
            }
            c => re.push(c),
        }
    }
    re.push('$');
    Ok(Frag::new(
        format!("{} ~ {}", x.wrap(prec::OTHER), quote_literal(&re)),
        prec::OTHER,
        Kind::Bool,
    ))
}

/// A SQLite JSON path (`$`, `$.a.b`, `$.a[1]`, `$."x y"`) as path elements.
pub(super) fn json_path(path: &str) -> R<Vec<String>> {
    let bad = |why: &str| fail(format!("JSON path '{path}': {why}"));
    let Some(rest) = path.strip_prefix('$') else {
        return bad("does not start with `$`");
    };
    let chars: Vec<char> = rest.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                if chars.get(i) == Some(&'"') {
                    let start = i + 1;
                    let Some(len) = chars[start..].iter().position(|c| *c == '"') else {
                        return bad("unclosed quoted key");
                    };
                    out.push(chars[start..start + len].iter().collect());
                    i = start + len + 1;
                } else {
                    let start = i;
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        i += 1;
                    }
                    if start == i {
                        return bad("empty key");
                    }
                    out.push(chars[start..i].iter().collect());
                }
            }
            '[' => {
                let start = i + 1;
                let Some(len) = chars[start..].iter().position(|c| *c == ']') else {
                    return bad("unclosed `[`");
                };
                let idx: String = chars[start..start + len].iter().collect();
                if idx.is_empty() || !idx.chars().all(|c| c.is_ascii_digit()) {
                    return bad("array index other than a non-negative integer");
                }
                out.push(idx);
                i = start + len + 1;
            }
            _ => return bad("unexpected character"),
        }
    }
    Ok(out)
}

/// A PostgreSQL text-array literal body: `{a,b,"x y"}`.
pub(super) fn pg_text_array(elems: &[String]) -> String {
    let items: Vec<String> = elems
        .iter()
        .map(|e| {
            let plain = !e.is_empty()
                && !e.eq_ignore_ascii_case("null")
                && e.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if plain {
                e.clone()
            } else {
                format!("\"{}\"", e.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect();
    format!("{{{}}}", items.join(","))
}

/// `typeof(column)`: the storage class the column's values have as it now
/// holds them, or `'null'`. Only for a column whose values all have one
/// class (`ColumnInfo::sqlite_class`).
fn typeof_column(t: &mut Translator, e: &Expr) -> R<Frag> {
    let Some(name) = super::column_name(e) else {
        return fail(format!("typeof() of {e}, which is not a column"));
    };
    let Some(cls) = t.column_info(e).and_then(|c| c.sqlite_class) else {
        return fail(format!(
            "typeof({name}): the column's values do not have one storage class in PostgreSQL"
        ));
    };
    let Some(col) = t.column(&name) else {
        return fail(format!("typeof() of unknown column {name}"));
    };
    Ok(Frag::call(
        format!("CASE WHEN {} IS NULL THEN 'null' ELSE '{cls}' END", col.sql),
        Kind::Text,
    ))
}
