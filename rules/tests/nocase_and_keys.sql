-- COLLATE NOCASE keys referenced by foreign keys, composite keys, partial,
-- expression and DESC indexes, ON DELETE/UPDATE actions, DEFERRABLE.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL COLLATE NOCASE,
    handle TEXT NOT NULL,
    deleted_at TEXT,
    CONSTRAINT accounts_email_key UNIQUE (email)
);
CREATE TABLE labels (name TEXT PRIMARY KEY COLLATE NOCASE) WITHOUT ROWID;
CREATE TABLE account_labels (
    account_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    added DATETIME,
    PRIMARY KEY (account_id, label),
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    FOREIGN KEY (label) REFERENCES labels ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX accounts_handle_live ON accounts (handle COLLATE NOCASE) WHERE deleted_at IS NULL;
CREATE INDEX accounts_handle_len ON accounts (length(handle) DESC, id);
CREATE INDEX account_labels_recent ON account_labels (added DESC);
INSERT INTO accounts (email, handle) VALUES ('Ada@Example.com', 'ada'), ('bob@example.com', 'Bob');
INSERT INTO labels VALUES ('Admin'), ('beta');
INSERT INTO account_labels VALUES (1, 'admin', '2024-01-01 00:00:00'), (2, 'BETA', NULL);
