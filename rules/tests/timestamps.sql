-- Each date form SQLite apps store, and what must not be read as a date.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    iso DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    iso_tz TIMESTAMP,
    day DATE,
    epoch_s DATETIME,
    epoch_ms DATETIME,
    epoch_us TIMESTAMP,
    julian DATETIME,
    mixed DATETIME,
    created_at TEXT,
    updated_unix INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
    note TEXT
);
INSERT INTO events (iso, iso_tz, day, epoch_s, epoch_ms, epoch_us, julian, mixed, created_at, updated_unix, note) VALUES
    ('2024-01-02 03:04:05', '2024-01-02T03:04:05+02:00', '2024-01-02', 1704164645, 1704164645123, 1704164645123456, 2460311.627835648, '2024-01-02', '2024-01-02 03:04:05.678', 1704164645, '2024-01-02'),
    ('2024-06-30 23:59:59.999', '2024-06-30T23:59:59Z', '2024-06-30', 1719791999, 1719791999999, 1719791999999999, 2460492.5, 1719791999, '2024-06-30T23:59:59', 1719791999, 'later');
