-- Defaults SQLite apps use, generated columns, CHECKs through the AST.
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL DEFAULT ('r' || lower(hex(randomblob(7)))),
    token BLOB DEFAULT (randomblob(16)),
    session_uuid BLOB DEFAULT (randomblob(16)),
    title TEXT NOT NULL DEFAULT "",
    created TEXT NOT NULL DEFAULT (datetime('now')),
    created_unix INTEGER NOT NULL DEFAULT (unixepoch()),
    day TEXT DEFAULT CURRENT_DATE,
    price REAL NOT NULL DEFAULT 0.0 CHECK (price >= 0),
    qty INTEGER NOT NULL DEFAULT 1,
    total REAL GENERATED ALWAYS AS (price * qty) VIRTUAL,
    label TEXT GENERATED ALWAYS AS (ifnull(title, 'untitled') || ' #' || id) STORED,
    CHECK (length(title) <= 200 AND instr(title, '|') = 0)
);
INSERT INTO items (title, price, qty) VALUES ('pen', 1.5, 2);
UPDATE items SET session_uuid = randomblob(16);
