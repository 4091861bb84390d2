-- Flags: declared BOOLEAN, CHECK (x IN (0,1)), and cases that must stay integers.
CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    active BOOLEAN NOT NULL DEFAULT 1,
    archived BOOL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    level INTEGER CHECK (level IN (0, 1, 2)),
    weird BOOLEAN,
    CHECK (active = 1 OR archived = 1)
);
INSERT INTO flags (active, archived, pinned, level, weird) VALUES (1, 0, 1, 2, 3), (0, 1, 0, 0, 1);
