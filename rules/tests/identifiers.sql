-- Names PostgreSQL needs quoted, and SQLite's four quoting styles.
CREATE TABLE "user" (
    [id] INTEGER PRIMARY KEY,
    `order` TEXT,
    "Select" INTEGER,
    "end" TEXT DEFAULT "none",
    "left" REAL,
    "Mixed Case Name" TEXT,
    "123abc" TEXT,
    "naïve" TEXT
);
CREATE TABLE "Table With Space" ("group" INTEGER REFERENCES "user"(id), [having] TEXT);
CREATE TABLE "table/with/slashes.csv" (pk INTEGER PRIMARY KEY, "value" TEXT);
CREATE INDEX "Idx Upper" ON "user" ("Select");
