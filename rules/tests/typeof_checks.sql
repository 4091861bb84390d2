-- CHECKs on SQLite storage classes, as GDAL writes them: implied by the
-- column's PostgreSQL type → dropped with a note (typeof-check-implied);
-- anything more → translated, typeof(col) as the class the column holds.
CREATE TABLE gdal (
  id INTEGER PRIMARY KEY,
  name TEXT CHECK (typeof(name) = 'text' OR typeof(name) = 'null'),
  n INTEGER NOT NULL CHECK (typeof(n) = 'integer'),
  v REAL CHECK (typeof(v) IN ('real', 'null')),
  q TEXT CHECK (typeof(q) = 'text' AND length(q) < 10),
  w TEXT CHECK (typeof(w) = 'text')
);
INSERT INTO gdal VALUES (1, 'a', 1, 1.5, 'short', 'x'), (2, NULL, 2, NULL, 'q', 'y');
