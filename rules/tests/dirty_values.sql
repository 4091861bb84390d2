-- Values SQLite accepted that the declared type does not describe.
CREATE TABLE dirty (
    id INTEGER PRIMARY KEY,
    qty INTEGER NOT NULL,
    ratio REAL,
    price NUMERIC(10,2),
    code VARCHAR(3),
    name TEXT,
    raw,
    anything ANY,
    blank
);
INSERT INTO dirty (qty, ratio, price, code, name, raw, anything, blank) VALUES
    (1, 0.5, 9.99, 'abc', 'ok', 1, 'x', NULL),
    ('', '', 'n/a', 'abcd', CAST(x'610062' AS TEXT), 2.5, 3, NULL),
    (3, 'Inf', 1, NULL, 'fine', 'three', x'00', NULL);
