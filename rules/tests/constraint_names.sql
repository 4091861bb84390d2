-- Constraint names SQLite ignores and PostgreSQL does not: a PRIMARY KEY or
-- UNIQUE name is also its index's, one namespace with tables and indexes;
-- a table's constraints of every kind share another.
CREATE TABLE a1 (id INTEGER, CONSTRAINT pk PRIMARY KEY (id));
CREATE TABLE a2 (id INTEGER, CONSTRAINT pk PRIMARY KEY (id));
CREATE TABLE b (id INTEGER PRIMARY KEY, code TEXT, CONSTRAINT a1 UNIQUE (code));
CREATE TABLE c (
    id INTEGER PRIMARY KEY,
    b_id INTEGER,
    n INTEGER,
    CONSTRAINT rule CHECK (n > 0),
    CONSTRAINT rule CHECK (n < 100),
    CONSTRAINT c_b_id_fkey CHECK (b_id > 0),
    FOREIGN KEY (b_id) REFERENCES b (id)
);
-- An index named as PostgreSQL names c's unnamed primary key.
CREATE INDEX c_pkey ON c (n);
-- An index named as PostgreSQL names d's identity sequence.
CREATE TABLE d (id INTEGER PRIMARY KEY, v TEXT);
CREATE INDEX d_id_seq ON d (v);
-- A named PRIMARY KEY on an earlier table, named as a later table's sequence.
CREATE TABLE e (x TEXT, CONSTRAINT f_id_seq PRIMARY KEY (x));
CREATE TABLE f (id INTEGER PRIMARY KEY, v TEXT);
