//! Markdown output: escaping for text from the source (names, types) and
//! the minijinja environment APP_IMPACT.md renders in.
//!
//! Two forms, both single-line and both safe wherever they are put:
//! [`text`] backslash-escapes every ASCII punctuation character Markdown
//! (CommonMark and GitHub's extensions: tables, emoji, math, mentions) gives
//! a meaning, so a name can open no emphasis, link, HTML tag, table cell,
//! heading or list item; [`code`] wraps text in a code span whose backtick
//! fence is longer than any run of backticks inside it. Both first escape
//! line breaks and control characters ([`ident::escape_text`]), so nothing
//! from the source starts a new block.
use crate::ident;

/// ASCII punctuation left as it is: meaningless inside a line of
/// Markdown text (no construct starts or ends with it mid-line).
const PLAIN_PUNCTUATION: &[char] = &[
    '.', ',', '-', '\'', '"', '/', '=', '?', ';', '(', ')', '{', '}',
];

/// `s` as Markdown text that renders as exactly `s` (control characters
/// shown escaped).
pub fn text(s: &str) -> String {
    let escaped = ident::escape_text(s);
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars().peekable();
    while let Some(ch) = chars.next() {
        // A colon opens an emoji shortcode (`:smile:`) only right before
        // its name: `fails: the …` stays as written.
        let opens = ch != ':'
            || chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || matches!(n, '_' | '+' | '-'));
        if ch.is_ascii_punctuation() && !PLAIN_PUNCTUATION.contains(&ch) && opens {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `s` as a Markdown code span (control characters shown escaped). Not for
/// table cells: GitHub splits a cell at a `|` even inside a code span.
pub fn code(s: &str) -> String {
    let s = ident::escape_text(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') && s.ends_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Any `{{ … }}` that no filter made safe is written as [`text`].
fn formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    super::write_escaped(out, state, value, text)
}

/// The environment Markdown templates render in: `code` filter, every other
/// interpolation escaped as text.
pub fn environment<'a>() -> minijinja::Environment<'a> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_formatter(formatter);
    env.add_filter("code", |s: String| {
        minijinja::Value::from_safe_string(code(&s))
    });
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markdown_structure() {
        assert_eq!(text("is_active"), "is\\_active");
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(text("x\n# h"), "x\\\\n\\# h");
        assert_eq!(
            text("[l](u) *e* `c` :smile: $m$ @u"),
            "\\[l\\](u) \\*e\\* \\`c\\` \\:smile: \\$m\\$ \\@u"
        );
        assert_eq!(text("fails: x :+1: a:b"), "fails: x \\:\\+1: a\\:b");
        assert_eq!(text("plain.name-1"), "plain.name-1");
    }

    #[test]
    fn code_spans_outlast_backticks_inside() {
        assert_eq!(code("SELECT a"), "`SELECT a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("a\nb"), "`a\\nb`");
    }
}
