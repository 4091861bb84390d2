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
-- A table named as an earlier table's identity sequence, and one named as
-- a later table's: the sequence is named explicitly when its name is taken.
CREATE TABLE g (id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE g_id_seq (x TEXT);
CREATE TABLE h_id_seq (x TEXT);
CREATE TABLE h (id INTEGER PRIMARY KEY, v TEXT);
-- Unnamed CHECKs are named as PostgreSQL would name them, after the names
-- the table's other constraints were given; PostgreSQL 18 names each NOT
-- NULL constraint <table>_<column>_not_null, so no other constraint may.
CREATE TABLE k (
    id INTEGER PRIMARY KEY,
    n INTEGER CHECK (n > 0),
    m INTEGER NOT NULL,
    p INTEGER,
    CHECK (n < m),
    CHECK (n < 1000),
    CONSTRAINT k_n_check FOREIGN KEY (n) REFERENCES b (id),
    CONSTRAINT k_check UNIQUE (m),
    CONSTRAINT k_m_not_null CHECK (m <> 7),
    CONSTRAINT k_id_not_null FOREIGN KEY (p) REFERENCES b (id)
);
