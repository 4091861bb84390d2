-- A small blog, written the way SQLite apps are: loose types, 0/1 flags,
-- JSON in TEXT, epoch integers in a DATETIME, NOCASE emails, embeddings as
-- float32 blobs. `sqlite3 examples/blog.db < examples/blog.sql` rebuilds it.
PRAGMA foreign_keys = ON;

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name VARCHAR(40) NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    settings TEXT
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT "",
    published DATETIME,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    score REAL NOT NULL DEFAULT 0,
    meta TEXT,
    CHECK (length(title) > 0)
);
CREATE INDEX posts_published ON posts (published DESC) WHERE published IS NOT NULL;
CREATE INDEX posts_title_lower ON posts (lower(title));

CREATE TABLE tags (
    name TEXT PRIMARY KEY COLLATE NOCASE
) WITHOUT ROWID;

CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    tag TEXT NOT NULL REFERENCES tags(name) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (post_id, tag)
);

CREATE TABLE post_embeddings (
    post_id INTEGER PRIMARY KEY REFERENCES posts(id),
    embedding BLOB NOT NULL
);

CREATE VIEW published_posts AS
    SELECT p.id, p.title, u.display_name FROM posts p JOIN users u ON u.id = p.author_id
    WHERE p.published IS NOT NULL;

INSERT INTO users (email, display_name, is_admin, created_at, settings) VALUES
    ('Ada@example.com', 'Ada', 1, '2024-01-05 09:30:00', '{"theme": "dark"}'),
    ('grace@example.com', 'Grace', 0, '2024-02-11 17:02:45', '{"theme": "light", "beta": true}'),
    ('linus@example.com', 'Linus', 0, '2024-03-01 08:00:00.250', NULL);

INSERT INTO posts (uuid, author_id, title, body, published, pinned, score, meta) VALUES
    ('0b6f3e1a-5d2c-4c8e-9a47-2f1d3c5b7e90', 1, 'Notes on engines', 'The analytical engine...', 1704447000, 1, 4.5, '{"words": 1200}'),
    ('6c1f9a52-8e3b-4d7a-b1c0-9e2d4f6a8b13', 2, 'Compilers', 'A-0 and after', 1707670965, 0, 3.25, '[]'),
    ('a3d5e7f9-1b2c-4d6e-8f0a-1c3e5a7b9d2f', 3, 'Draft', '', NULL, 0, 0, NULL);

INSERT INTO tags (name) VALUES ('History'), ('compilers');
INSERT INTO post_tags (post_id, tag) VALUES (1, 'History'), (2, 'compilers'), (2, 'history');

INSERT INTO post_embeddings (post_id, embedding) VALUES
    (1, x'0000803f000000400000404000008040'),
    (2, x'cdcccc3dcdcc4c3e9a99993ecdcccc3e');
DELETE FROM posts WHERE id = 3;
