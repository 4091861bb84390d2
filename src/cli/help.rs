//! What `pgbridge <command> --help` prints after the options: examples, the
//! exit codes and the environment variables each command reads.

/// The PostgreSQL connection variables `migrate` and `verify` read (as psql does).
const CONNECTION_ENV: &str = "\
Environment:
  PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE (default ~/.pgpass,
  mode 0600), PGSSLMODE, PGSSLROOTCERT, PGAPPNAME, PGCONNECT_TIMEOUT, PGOPTIONS:
  fill in what the TARGET does not say, as with psql. No password is ever printed.";

pub const COMPILE: &str = "\
Examples:
  pgbridge compile app.db -o migrations/
  pgbridge compile app.db -o migrations/ --check          # CI: exit 1 and a diff on statement drift
  pgbridge compile app.db -o db/migrations --layout dbmate  # flyway, golang-migrate, sqitch, atlas too
  pgbridge compile schema.sql -o migrations/ --pg-version 15
  pgbridge compile app.db -o migrations/ --rules my-rules/ --naming snake-case

Exit codes:
  0  the set was written (or its statements match, with --check: comment-only drift is a note)
  1  errors in the schema or rules, statement drift with --check, warnings with --deny-warnings
  2  usage, unreadable input or rule pack, output not writable

Environment:
  none (--target-url reads the PG* variables like migrate does)";

pub const DIFF: &str = "\
Examples:
  pgbridge diff old.db new.sql -o migrations/              # up.sql, down.sql, DIFF_REVIEW.md
  pgbridge diff old.db new.sql -o migrations/ --allow table-rewrite,index-build
  pgbridge diff old.sql new.sql -o migrations/ --rename reaction.content_id=memo_id
  pgbridge diff old.db new.sql -o db/migrations --layout dbmate --name add_reactions

Exit codes:
  0  written, and every hazard allowed
  1  written, with a hazard not allowed (each one an error naming its code); errors in a schema
  2  usage, a --rename that names nothing, unreadable input, output not writable

Environment:
  none";

pub const MIGRATE: &str = "\
Examples:
  pgbridge migrate app.db postgres://app@db.internal/app
  pgbridge migrate app.db 'host=db.internal dbname=app user=app' --schema legacy
  pgbridge migrate app.db postgres://… --dry-run          # the plan; nothing changes
  pgbridge migrate app.db postgres://… --on-error reject --rejects rejects.jsonl
  pgbridge migrate app.db postgres://… --data-only        # into an existing schema
  PGHOST=db.internal PGDATABASE=app pgbridge migrate app.db

A run that stops (error, Ctrl-C, lost connection) resumes when the same
command is run again; nothing is loaded twice.

Exit codes:
  0  migrated and verified
  1  data or schema errors (a value that does not convert, a failed constraint),
     or verify found a difference
  2  connection, source or usage errors (nothing or only whole tables were written)
  130  interrupted (Ctrl-C); run the same command again to resume

";

pub const VERIFY: &str = "\
Examples:
  pgbridge verify app.db postgres://app@db.internal/app
  pgbridge verify app.db postgres://… --rejects rejects.jsonl --report verify.json
  pgbridge verify app.db postgres://… --hash-in-server

Exit codes:
  0  every table matches
  1  a table differs (the rows and columns are printed)
  2  connection, source or usage errors

";

pub const INSPECT: &str = "\
Examples:
  pgbridge inspect app.db
  pgbridge inspect app.db --format json --strict          # CI: exit 1 on blockers
  pgbridge inspect app.db --target-url postgres://…       # for that server's version and extensions

Exit codes:
  0  inspected (blockers are listed; with --strict they exit 1)
  1  blockers, with --strict
  2  usage or unreadable input

Environment:
  none (--target-url reads the PG* variables like migrate does)";

pub const RULES: &str = "\
Examples:
  pgbridge rules list
  pgbridge rules facts
  pgbridge rules test my-rules/
  pgbridge rules test my-rules/ --update                 # rewrite tests/*.expected.sql for review

Exit codes:
  0  ok; 1  a rule example or fixture failed; 2  the pack does not load (file and line named)";

pub const COMPLETIONS: &str = "\
Examples:
  pgbridge completions bash > /etc/bash_completion.d/pgbridge
  pgbridge completions zsh > \"${fpath[1]}/_pgbridge\"
  pgbridge completions fish > ~/.config/fish/completions/pgbridge.fish";

/// `MIGRATE` or `VERIFY` followed by the connection environment.
pub fn with_connection_env(text: &str) -> String {
    format!("{text}{CONNECTION_ENV}")
}
