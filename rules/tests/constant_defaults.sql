-- Constant defaults go through the column's converter and type like the
-- data: those PostgreSQL would refuse are dropped with a warning
-- (default-not-convertible); the rest are kept.
CREATE TABLE l (
  id INTEGER PRIMARY KEY,
  ts TIMESTAMP NOT NULL DEFAULT '0000-01-01T00:00:00.000Z',
  t2 DATETIME DEFAULT '2020-01-01 10:00',
  n NUMERIC(3,1) DEFAULT 123.45,
  n2 NUMERIC(3,1) DEFAULT 12.5,
  b BOOLEAN DEFAULT 2,
  u UUID DEFAULT 'nope',
  i INTEGER DEFAULT 'abc',
  e DATETIME DEFAULT 1700000000,
  -- GDAL's timestamps: CURRENT_TIMESTAMP as the time value (whole seconds).
  g TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)),
  g2 DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP))
);
INSERT INTO l (id, ts, t2, n, n2, b, u, i, e, g2)
VALUES (1, '2024-05-01T10:00:00Z', '2024-05-01 10:00:00', 1.5, 2.5, 1,
        '0b4c9f5e-6a8e-4c4f-9d7e-2f6b1f0a9c11', 7, '2024-05-01 10:00:00', '2024-05-01T10:00:00.000Z');
