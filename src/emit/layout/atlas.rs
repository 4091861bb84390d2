//! atlas: the `atlas.sum` integrity file of an Atlas migration directory.
//!
//! The algorithm Atlas documents and implements (`HashFile`): one SHA-256
//! runs over the migration files in lexical order of name, taking each
//! file's name and then its bytes; after each file its running digest,
//! base64 (standard, padded), is that file's `h1:` hash, so every hash
//! chains all files before it. The first line, `h1:<sum>`, is the base64
//! SHA-256 of every `name` followed by its hash text. Migration files are
//! the directory's top-level `*.sql` files; nothing else is hashed.
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const SUM_FILE: &str = "atlas.sum";

/// `atlas.sum` for the top-level `.sql` files among `files` (path → text).
pub fn sum_file(files: &BTreeMap<String, String>) -> String {
    let migrations = files
        .iter()
        .filter(|(n, _)| n.ends_with(".sql") && !n.contains('/'));
    let mut running = Sha256::new();
    let mut lines = Vec::new();
    for (name, text) in migrations {
        running.update(name.as_bytes());
        running.update(text.as_bytes());
        lines.push((name.as_str(), base64(&running.clone().finalize())));
    }
    let mut total = Sha256::new();
    for (name, hash) in &lines {
        total.update(name.as_bytes());
        total.update(hash.as_bytes());
    }
    let mut out = format!("h1:{}\n", base64(&total.finalize()));
    for (name, hash) in lines {
        out.push_str(&format!("{name} h1:{hash}\n"));
    }
    out
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn base64_pads_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    /// Known answers: directories from Atlas's own test data with the
    /// `atlas.sum` Atlas wrote for them (one file; two files, chained).
    #[test]
    fn sums_match_atlas_written_sum_files() {
        let one = files(&[(
            "1_initial.sql",
            "CREATE SCHEMA IF NOT EXISTS \"bc_test\";\nCREATE TABLE \"bc_test\".\"bc_tbl\" (\"col\" INTEGER NULL);",
        )]);
        assert_eq!(
            sum_file(&one),
            "h1:80V3wCzovMg2ot2hR0arbEjEfMfKWDeQNrXZJbFPF10=\n\
             1_initial.sql h1:53poyM34ShPWCVU41ldi4d9LUrzqPiQfBdEq//yH4Jo=\n"
        );
        let two = files(&[
            (
                "1_initial.sql",
                "-- migrate:up\nCREATE TABLE post\n(\n    id    int NOT NULL,\n    title text,\n    body  text,\n    PRIMARY KEY (id)\n);\n\nALTER TABLE post ADD created_at TIMESTAMP NOT NULL;\n\nINSERT INTO post (title) VALUES (\n'This is\nmy multiline\n\nvalue');\n\n-- migrate:down\nDROP TABLE post;",
            ),
            (
                "2_second_migration.sql",
                "\n\n\n-- migrate:up\n\n\n\n\nCREATE TABLE tbl_2 (col INT);",
            ),
            ("README.md", "not hashed"),
            ("sub/3_x.sql", "not hashed"),
        ]);
        assert_eq!(
            sum_file(&two),
            "h1:bpWcrOjC8i9SkrTqTKi5WiZxs14d9kzj1ZtgRn2pe8k=\n\
             1_initial.sql h1:Ifwt1OSc53epUlXURSjMhu1FH2kqRTu9kGtOYA7E0zg=\n\
             2_second_migration.sql h1:0G2qai762kh4Ug7NyouaCICtrH5uZxn/8xTNBvsRhTw=\n"
        );
    }
}
