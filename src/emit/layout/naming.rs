//! naming: each tool's file-name grammar, written and read back.
//!
//! | layout | files of version `n` named `name` |
//! |---|---|
//! | flyway | `V<n>__<name>.sql`, `U<n>__<name>.sql` (undo) |
//! | golang-migrate | `<n:06>_<name>.up.sql`, `<n:06>_<name>.down.sql` |
//! | dbmate | `<YYYYMMDDHHMMSS>_<name>.sql` (`-- migrate:up` / `-- migrate:down`) |
//! | atlas | `<YYYYMMDDHHMMSS>_<name>.sql` |
//!
//! A name reaches a file name only through [`slug`]: lower-case ASCII
//! letters, digits and single underscores, so no table or file name from the
//! input can add a dot, a slash or a second version marker.
use super::Layout;
use super::stamp::Stamp;
use regex::Regex;
use std::sync::LazyLock;

/// `name` as a file-name part: `[a-z0-9]+(_[a-z0-9]+)*`, at most 48
/// characters, `migration` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.truncate(48);
    let out = out.trim_end_matches('_').to_string();
    if out.is_empty() {
        "migration".to_string()
    } else {
        out
    }
}

/// A version already in a directory, read from its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The version as a number (a sequence number or the stamp's digits).
    pub number: u64,
    pub name: String,
}

static FLYWAY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^V([0-9]+)__(.+)\.sql$").unwrap());
static GOLANG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]+)_([^.]+)\.(?:up|down)\.sql$").unwrap());
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]+)_([^/]*)\.sql$").unwrap());

/// The version a top-level file name stands for in `layout`, if any.
pub fn parse(layout: Layout, file: &str) -> Option<Found> {
    let re: &Regex = match layout {
        Layout::Flyway => &FLYWAY,
        Layout::GolangMigrate => &GOLANG,
        Layout::Dbmate | Layout::Atlas => &NUMBERED,
        Layout::Plain | Layout::Sqitch => return None,
    };
    let c = re.captures(file)?;
    Some(Found {
        number: c[1].parse().ok()?,
        name: c[2].to_string(),
    })
}

/// How a version is numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    Seq(u64),
    Stamp(Stamp),
}

impl Id {
    fn text(self) -> String {
        match self {
            Id::Seq(n) => n.to_string(),
            Id::Stamp(s) => s.compact(),
        }
    }
}

/// The (up, down) file names of version `id` named `name` (already a slug).
pub fn file_names(layout: Layout, id: Id, name: &str) -> (String, Option<String>) {
    let v = id.text();
    match layout {
        Layout::Flyway => (
            format!("V{v}__{name}.sql"),
            Some(format!("U{v}__{name}.sql")),
        ),
        Layout::GolangMigrate => {
            let v = match id {
                Id::Seq(n) => format!("{n:06}"),
                Id::Stamp(_) => v,
            };
            (
                format!("{v}_{name}.up.sql"),
                Some(format!("{v}_{name}.down.sql")),
            )
        }
        _ => (format!("{v}_{name}.sql"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_only_safe_characters() {
        assert_eq!(slug("init"), "init");
        assert_eq!(slug("Add users.email"), "add_users_email");
        assert_eq!(slug("../x\n__V2__y.sql"), "x_v2_y_sql");
        assert_eq!(slug("ünïcode ☃"), "n_code");
        assert_eq!(slug("--"), "migration");
        assert_eq!(slug(&"a".repeat(80)).len(), 48);
    }

    #[test]
    fn names_round_trip_through_each_grammar() {
        let cases = [
            (
                Layout::Flyway,
                Id::Seq(2),
                "V2__init.sql",
                Some("U2__init.sql"),
            ),
            (
                Layout::GolangMigrate,
                Id::Seq(2),
                "000002_init.up.sql",
                Some("000002_init.down.sql"),
            ),
            (
                Layout::Dbmate,
                Id::Stamp(Stamp::EPOCH),
                "19700101000000_init.sql",
                None,
            ),
        ];
        for (layout, id, up, down) in cases {
            let (u, d) = file_names(layout, id, "init");
            assert_eq!((u.as_str(), d.as_deref()), (up, down));
            let f = parse(layout, &u).unwrap();
            assert_eq!(f.name, "init");
        }
        assert_eq!(parse(Layout::Flyway, "R__views.sql"), None);
        assert_eq!(parse(Layout::Dbmate, "schema.sql"), None);
    }
}
