//! sqitch: a change as `deploy/`, `revert/` and `verify/` scripts and a
//! line in `sqitch.plan`.
//!
//! The plan is Sqitch's text format (`%syntax-version=1.0.0`, `%project=`,
//! then one line per change: `name YYYY-MM-DDTHH:MM:SSZ planner <email> #
//! note`). Lines already in the plan are kept as they are; a new change is
//! appended, stamped one second after the last one (or `--timestamp`, or
//! [`Stamp::EPOCH`]), planned by `pgbridge`. Each script carries its own
//! transaction, as Sqitch's own templates do.
use super::naming::slug;
use super::stamp::Stamp;
use super::{Options, Step, wrap_tx};
use std::collections::BTreeMap;

pub const PLAN: &str = "sqitch.plan";
pub const CONF: &str = "sqitch.conf";
const PLANNER: &str = "pgbridge <pgbridge@example.invalid>";

/// The files that add (or, with `replace`, rewrite) `step` as a change.
pub fn place(
    existing: &BTreeMap<String, String>,
    step: &Step,
    o: &Options,
) -> Result<BTreeMap<String, String>, String> {
    let plan = existing
        .get(PLAN)
        .cloned()
        .unwrap_or_else(|| new_plan(&o.project));
    let changes = changes(&plan);
    let wanted = slug(&step.name);
    let (name, plan) = if o.replace && changes.iter().any(|(n, _)| *n == wanted) {
        (wanted, plan)
    } else {
        let name = unique(&wanted, &changes);
        let at = next_stamp(&changes, o.timestamp)?;
        let line = format!("{name} {} {PLANNER} # compiled by pgbridge\n", at.iso());
        (name, plan + &line)
    };
    let mut out = BTreeMap::new();
    out.insert(PLAN.to_string(), plan);
    if !existing.contains_key(CONF) {
        out.insert(CONF.to_string(), "[core]\n\tengine = pg\n".to_string());
    }
    out.insert(format!("deploy/{name}.sql"), wrap_tx(&step.up, "COMMIT"));
    let down = step.down.as_deref().unwrap_or("SELECT 1;\n");
    out.insert(format!("revert/{name}.sql"), wrap_tx(down, "COMMIT"));
    let verify = step.verify.as_deref().unwrap_or("SELECT 1;\n");
    out.insert(format!("verify/{name}.sql"), wrap_tx(verify, "ROLLBACK"));
    Ok(out)
}

/// A plan with no change yet; the project name is a slug of `project`.
fn new_plan(project: &str) -> String {
    format!(
        "%syntax-version=1.0.0\n%project={}\n\n",
        slug(project).replace('_', "-")
    )
}

/// (name, stamp) of every change line of a plan.
fn changes(plan: &str) -> Vec<(String, Option<Stamp>)> {
    plan.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['%', '@', '#']))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?.to_string();
            let stamp = words.find_map(parse_iso);
            Some((name, stamp))
        })
        .collect()
}

fn parse_iso(w: &str) -> Option<Stamp> {
    let digits: String = w.strip_suffix('Z')?.replace(['-', ':', 'T'], "");
    Stamp::parse_compact(&digits)
}

/// `name`, or `name_2`, `name_3`, … when the plan has it already.
fn unique(name: &str, changes: &[(String, Option<Stamp>)]) -> String {
    let taken = |n: &str| changes.iter().any(|(c, _)| c == n);
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|k| format!("{name}_{k}"))
        .find(|n| !taken(n))
        .unwrap_or_default()
}

fn next_stamp(changes: &[(String, Option<Stamp>)], given: Option<Stamp>) -> Result<Stamp, String> {
    let last = changes.iter().filter_map(|(_, s)| *s).max();
    match (given, last) {
        (Some(g), Some(l)) if g <= l => Err(format!(
            "--timestamp {} is not after the plan's last change ({})",
            g.iso(),
            l.iso()
        )),
        (Some(g), _) => Ok(g),
        (None, Some(l)) => Ok(l.next()),
        (None, None) => Ok(Stamp::EPOCH),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str) -> Step {
        Step {
            name: name.into(),
            up: "CREATE TABLE t (a int);\n".into(),
            down: Some("DROP TABLE t;\n".into()),
            verify: None,
        }
    }

    #[test]
    fn a_second_change_appends_one_second_later_and_a_recompile_keeps_the_line() {
        let o = Options {
            project: "My App.db".into(),
            ..Options::default()
        };
        let first = place(&BTreeMap::new(), &step("init"), &o).unwrap();
        let plan = &first[PLAN];
        assert_eq!(
            plan,
            "%syntax-version=1.0.0\n%project=my-app-db\n\n\
             init 1970-01-01T00:00:00Z pgbridge <pgbridge@example.invalid> # compiled by pgbridge\n"
        );
        let second = place(&first, &step("init"), &o).unwrap();
        assert!(second[PLAN].ends_with("init_2 1970-01-01T00:00:01Z pgbridge <pgbridge@example.invalid> # compiled by pgbridge\n"));
        assert!(second.contains_key("deploy/init_2.sql"));
        assert!(!second.contains_key(CONF));
        let again = place(&first, &step("init"), &Options { replace: true, ..o }).unwrap();
        assert_eq!(&again[PLAN], plan);
    }
}
