//! Window frame exclusion (`EXCLUDE CURRENT ROW | GROUP | TIES | NO
//! OTHERS`), which SQLite and PostgreSQL share with the same meaning but
//! sqlparser does not parse (its `WindowFrame` has no place for it).
//!
//! How: a token step before parsing takes the exclusion out of the window
//! and leaves a marker in the window-name slot of the same `OVER (…)`,
//! which the translator reads back ([`exclusion_of`]) and prints after the
//! frame. Why it is exact:
//! - It only fires on unquoted `EXCLUDE` followed by one of the four forms
//!   and the `)` closing an `OVER (` whose frame bound it follows (`ROW`,
//!   `PRECEDING` or `FOLLOWING` right before it) — the one place SQLite's
//!   grammar allows it.
//! - The translator refuses a marker on a window without a frame, so an
//!   exclusion never moves to another clause.
//! - Input that already names the marker is refused, so the marker cannot
//!   be confused with a window the view names.
//! - `EXCLUDE NO OTHERS` is the default and is dropped (no marker).
use sqlparser::ast::Ident;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use super::{R, fail};

/// The window-name value that carries an exclusion; the form follows.
const MARKER: &str = "pgbridge frame exclusion:";

/// The exclusions PostgreSQL and SQLite share (besides `NO OTHERS`).
const FORMS: [&[&str]; 3] = [&["CURRENT", "ROW"], &["GROUP"], &["TIES"]];

fn word(t: Option<&TokenWithSpan>) -> Option<&str> {
    match t {
        Some(TokenWithSpan {
            token: Token::Word(w),
            ..
        }) if w.quote_style.is_none() => Some(&w.value),
        _ => None,
    }
}

fn is_word(t: Option<&TokenWithSpan>, v: &str) -> bool {
    word(t).is_some_and(|w| w.eq_ignore_ascii_case(v))
}

/// The number of tokens of the exclusion form at `toks[0..]` (after
/// `EXCLUDE`), and its marker (`None` for `NO OTHERS`).
fn form(toks: &[TokenWithSpan]) -> Option<(usize, Option<String>)> {
    if is_word(toks.first(), "NO") && is_word(toks.get(1), "OTHERS") {
        return Some((2, None));
    }
    FORMS.iter().find_map(|f| {
        let all = f.iter().enumerate().all(|(i, w)| is_word(toks.get(i), w));
        all.then(|| (f.len(), Some(format!("{MARKER} {}", f.join(" ")))))
    })
}

/// Move each frame exclusion of an `OVER (…)` into a marker at the start
/// of that window (whitespace already removed).
pub(super) fn mark(tokens: Vec<TokenWithSpan>) -> R<Vec<TokenWithSpan>> {
    if tokens
        .iter()
        .any(|t| matches!(&t.token, Token::Word(w) if w.value.starts_with(MARKER)))
    {
        return fail(format!("the name `{MARKER}` is reserved"));
    }
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    // Open parentheses: index in `out`, and whether it opens an OVER.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        match &t.token {
            Token::LParen => open.push((out.len(), is_word(out.last(), "OVER"))),
            Token::RParen => {
                open.pop();
            }
            _ => {}
        }
        let after_bound = ["ROW", "PRECEDING", "FOLLOWING"]
            .iter()
            .any(|b| is_word(out.last(), b));
        if is_word(Some(t), "EXCLUDE")
            && after_bound
            && let Some(&(at, true)) = open.last()
            && let Some((n, marker)) = form(&tokens[i + 1..])
            && matches!(tokens.get(i + 1 + n).map(|t| &t.token), Some(Token::RParen))
        {
            if let Some(m) = marker {
                let w = Word {
                    value: m,
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                };
                out.insert(at + 1, TokenWithSpan::wrap(Token::Word(w)));
            }
            i += 1 + n;
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    Ok(out)
}

/// The exclusion a window name carries (`CURRENT ROW`, `GROUP`, `TIES`),
/// or `None` for a name the view wrote.
pub(super) fn exclusion_of(name: &Ident) -> Option<&str> {
    name.value.strip_prefix(MARKER).map(str::trim_start)
}
