-- pgbridge capture: the change log and one trigger set per table.
CREATE TABLE IF NOT EXISTS "_pgbridge_log" (id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL DEFAULT (julianday('now')));
DROP TABLE IF EXISTS "_pgbridge_capture";
CREATE TABLE "_pgbridge_capture" (tbl TEXT PRIMARY KEY, key_columns TEXT NOT NULL, columns TEXT NOT NULL);

-- users
INSERT OR REPLACE INTO "_pgbridge_capture" (tbl, key_columns, columns) VALUES ('users', '["id"]', '["id","email","display_name","is_admin","created_at","settings"]');
CREATE TRIGGER "_pgbridge_capture_ins:users" AFTER INSERT ON "users" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('users', quote(NEW."id")); END;
CREATE TRIGGER "_pgbridge_capture_upd:users" AFTER UPDATE ON "users" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('users', quote(NEW."id")); END;
CREATE TRIGGER "_pgbridge_capture_updold:users" AFTER UPDATE ON "users" WHEN OLD."id" IS NOT NEW."id" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('users', quote(OLD."id")); END;
CREATE TRIGGER "_pgbridge_capture_del:users" AFTER DELETE ON "users" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('users', quote(OLD."id")); END;
CREATE TRIGGER "_pgbridge_capture_repins:users" BEFORE INSERT ON "users" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'users', quote(r."id") FROM "users" AS r WHERE r."id" = NEW."id"; INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'users', quote(r."id") FROM "users" AS r WHERE r."email" = NEW."email"; END;
CREATE TRIGGER "_pgbridge_capture_repupd:users" BEFORE UPDATE OF "id", "email" ON "users" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'users', quote(r."id") FROM "users" AS r WHERE r."id" = NEW."id" AND NOT (r."id" IS OLD."id"); INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'users', quote(r."id") FROM "users" AS r WHERE r."email" = NEW."email" AND NOT (r."id" IS OLD."id"); END;

-- posts
INSERT OR REPLACE INTO "_pgbridge_capture" (tbl, key_columns, columns) VALUES ('posts', '["id"]', '["id","uuid","author_id","title","body","published","pinned","score","meta"]');
CREATE TRIGGER "_pgbridge_capture_ins:posts" AFTER INSERT ON "posts" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('posts', quote(NEW."id")); END;
CREATE TRIGGER "_pgbridge_capture_upd:posts" AFTER UPDATE ON "posts" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('posts', quote(NEW."id")); END;
CREATE TRIGGER "_pgbridge_capture_updold:posts" AFTER UPDATE ON "posts" WHEN OLD."id" IS NOT NEW."id" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('posts', quote(OLD."id")); END;
CREATE TRIGGER "_pgbridge_capture_del:posts" AFTER DELETE ON "posts" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('posts', quote(OLD."id")); END;
CREATE TRIGGER "_pgbridge_capture_repins:posts" BEFORE INSERT ON "posts" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'posts', quote(r."id") FROM "posts" AS r WHERE r."id" = NEW."id"; INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'posts', quote(r."id") FROM "posts" AS r WHERE r."uuid" = NEW."uuid"; END;
CREATE TRIGGER "_pgbridge_capture_repupd:posts" BEFORE UPDATE OF "id", "uuid" ON "posts" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'posts', quote(r."id") FROM "posts" AS r WHERE r."id" = NEW."id" AND NOT (r."id" IS OLD."id"); INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'posts', quote(r."id") FROM "posts" AS r WHERE r."uuid" = NEW."uuid" AND NOT (r."id" IS OLD."id"); END;

-- tags
INSERT OR REPLACE INTO "_pgbridge_capture" (tbl, key_columns, columns) VALUES ('tags', '["name"]', '["name"]');
CREATE TRIGGER "_pgbridge_capture_ins:tags" AFTER INSERT ON "tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('tags', quote(NEW."name")); END;
CREATE TRIGGER "_pgbridge_capture_upd:tags" AFTER UPDATE ON "tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('tags', quote(NEW."name")); END;
CREATE TRIGGER "_pgbridge_capture_updold:tags" AFTER UPDATE ON "tags" WHEN OLD."name" IS NOT NEW."name" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('tags', quote(OLD."name")); END;
CREATE TRIGGER "_pgbridge_capture_del:tags" AFTER DELETE ON "tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('tags', quote(OLD."name")); END;
CREATE TRIGGER "_pgbridge_capture_repins:tags" BEFORE INSERT ON "tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'tags', quote(r."name") FROM "tags" AS r WHERE r."name" = NEW."name"; END;
CREATE TRIGGER "_pgbridge_capture_repupd:tags" BEFORE UPDATE OF "name" ON "tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'tags', quote(r."name") FROM "tags" AS r WHERE r."name" = NEW."name" AND NOT (r."name" IS OLD."name"); END;

-- post_tags
INSERT OR REPLACE INTO "_pgbridge_capture" (tbl, key_columns, columns) VALUES ('post_tags', '["post_id","tag"]', '["post_id","tag"]');
CREATE TRIGGER "_pgbridge_capture_ins:post_tags" AFTER INSERT ON "post_tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_tags', quote(NEW."post_id") || ',' || quote(NEW."tag")); END;
CREATE TRIGGER "_pgbridge_capture_upd:post_tags" AFTER UPDATE ON "post_tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_tags', quote(NEW."post_id") || ',' || quote(NEW."tag")); END;
CREATE TRIGGER "_pgbridge_capture_updold:post_tags" AFTER UPDATE ON "post_tags" WHEN OLD."post_id" IS NOT NEW."post_id" OR OLD."tag" IS NOT NEW."tag" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_tags', quote(OLD."post_id") || ',' || quote(OLD."tag")); END;
CREATE TRIGGER "_pgbridge_capture_del:post_tags" AFTER DELETE ON "post_tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_tags', quote(OLD."post_id") || ',' || quote(OLD."tag")); END;
CREATE TRIGGER "_pgbridge_capture_repins:post_tags" BEFORE INSERT ON "post_tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'post_tags', quote(r."post_id") || ',' || quote(r."tag") FROM "post_tags" AS r WHERE r."post_id" = NEW."post_id" AND r."tag" = NEW."tag"; END;
CREATE TRIGGER "_pgbridge_capture_repupd:post_tags" BEFORE UPDATE OF "post_id", "tag" ON "post_tags" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'post_tags', quote(r."post_id") || ',' || quote(r."tag") FROM "post_tags" AS r WHERE r."post_id" = NEW."post_id" AND r."tag" = NEW."tag" AND NOT (r."post_id" IS OLD."post_id" AND r."tag" IS OLD."tag"); END;

-- post_embeddings
INSERT OR REPLACE INTO "_pgbridge_capture" (tbl, key_columns, columns) VALUES ('post_embeddings', '["post_id"]', '["post_id","embedding"]');
CREATE TRIGGER "_pgbridge_capture_ins:post_embeddings" AFTER INSERT ON "post_embeddings" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_embeddings', quote(NEW."post_id")); END;
CREATE TRIGGER "_pgbridge_capture_upd:post_embeddings" AFTER UPDATE ON "post_embeddings" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_embeddings', quote(NEW."post_id")); END;
CREATE TRIGGER "_pgbridge_capture_updold:post_embeddings" AFTER UPDATE ON "post_embeddings" WHEN OLD."post_id" IS NOT NEW."post_id" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_embeddings', quote(OLD."post_id")); END;
CREATE TRIGGER "_pgbridge_capture_del:post_embeddings" AFTER DELETE ON "post_embeddings" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) VALUES ('post_embeddings', quote(OLD."post_id")); END;
CREATE TRIGGER "_pgbridge_capture_repins:post_embeddings" BEFORE INSERT ON "post_embeddings" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'post_embeddings', quote(r."post_id") FROM "post_embeddings" AS r WHERE r."post_id" = NEW."post_id"; END;
CREATE TRIGGER "_pgbridge_capture_repupd:post_embeddings" BEFORE UPDATE OF "post_id" ON "post_embeddings" BEGIN INSERT INTO "_pgbridge_log" (tbl, key) SELECT 'post_embeddings', quote(r."post_id") FROM "post_embeddings" AS r WHERE r."post_id" = NEW."post_id" AND NOT (r."post_id" IS OLD."post_id"); END;
