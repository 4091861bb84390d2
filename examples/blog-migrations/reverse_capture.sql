-- pgbridge reverse capture: what a cutover starts on PostgreSQL (in its own transaction),
-- so `pgbridge rollback` can bring PostgreSQL's changes back to SQLite.
CREATE SCHEMA IF NOT EXISTS pgbridge;
CREATE TABLE IF NOT EXISTS pgbridge.reverse_log (
    id bigserial PRIMARY KEY,
    target_schema text NOT NULL,
    tbl text NOT NULL,
    key jsonb NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS reverse_log_schema ON pgbridge.reverse_log (target_schema, id);
CREATE OR REPLACE FUNCTION pgbridge.reverse_capture() RETURNS trigger
LANGUAGE plpgsql AS $pgbridge$
DECLARE
    new_key jsonb;
    old_key jsonb;
BEGIN
    IF current_setting('pgbridge.skip_triggers', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT jsonb_object_agg(a, to_jsonb(NEW) -> a) INTO new_key FROM unnest(TG_ARGV) AS a;
        INSERT INTO pgbridge.reverse_log (target_schema, tbl, key)
            VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, new_key);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT jsonb_object_agg(a, to_jsonb(OLD) -> a) INTO old_key FROM unnest(TG_ARGV) AS a;
        IF old_key IS DISTINCT FROM new_key THEN
            INSERT INTO pgbridge.reverse_log (target_schema, tbl, key)
                VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, old_key);
        END IF;
    END IF;
    RETURN NULL;
END
$pgbridge$;
CREATE OR REPLACE FUNCTION pgbridge.reverse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $pgbridge$
BEGIN
    IF current_setting('pgbridge.skip_triggers', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
        MESSAGE = format('TRUNCATE of %I.%I after a pgbridge cutover: reverse capture logs rows, so pgbridge rollback could not bring it back; use DELETE', TG_TABLE_SCHEMA, TG_TABLE_NAME);
END
$pgbridge$;
CREATE OR REPLACE FUNCTION pgbridge.write_block() RETURNS trigger
LANGUAGE plpgsql AS $pgbridge$
BEGIN
    IF current_setting('pgbridge.skip_triggers', true) = 'on' THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction', MESSAGE = TG_ARGV[0];
END
$pgbridge$;
DROP TRIGGER IF EXISTS _pgbridge_block ON public.users;
DROP TRIGGER IF EXISTS _pgbridge_block_truncate ON public.users;
DROP TRIGGER IF EXISTS _pgbridge_block ON public.posts;
DROP TRIGGER IF EXISTS _pgbridge_block_truncate ON public.posts;
DROP TRIGGER IF EXISTS _pgbridge_block ON public.tags;
DROP TRIGGER IF EXISTS _pgbridge_block_truncate ON public.tags;
DROP TRIGGER IF EXISTS _pgbridge_block ON public.post_tags;
DROP TRIGGER IF EXISTS _pgbridge_block_truncate ON public.post_tags;
DROP TRIGGER IF EXISTS _pgbridge_block ON public.post_embeddings;
DROP TRIGGER IF EXISTS _pgbridge_block_truncate ON public.post_embeddings;
DROP TRIGGER IF EXISTS _pgbridge_reverse ON public.users;
DROP TRIGGER IF EXISTS _pgbridge_reverse_truncate ON public.users;
DROP TRIGGER IF EXISTS _pgbridge_reverse ON public.posts;
DROP TRIGGER IF EXISTS _pgbridge_reverse_truncate ON public.posts;
DROP TRIGGER IF EXISTS _pgbridge_reverse ON public.tags;
DROP TRIGGER IF EXISTS _pgbridge_reverse_truncate ON public.tags;
DROP TRIGGER IF EXISTS _pgbridge_reverse ON public.post_tags;
DROP TRIGGER IF EXISTS _pgbridge_reverse_truncate ON public.post_tags;
DROP TRIGGER IF EXISTS _pgbridge_reverse ON public.post_embeddings;
DROP TRIGGER IF EXISTS _pgbridge_reverse_truncate ON public.post_embeddings;
DO $pgbridge$ BEGIN IF to_regclass('pgbridge.reverse_log') IS NOT NULL THEN DELETE FROM pgbridge.reverse_log WHERE target_schema = 'public'; END IF; END $pgbridge$;
CREATE TRIGGER _pgbridge_reverse AFTER INSERT OR UPDATE OR DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION pgbridge.reverse_capture('id');
CREATE TRIGGER _pgbridge_reverse_truncate BEFORE TRUNCATE ON public.users FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.reverse_truncate();
CREATE TRIGGER _pgbridge_reverse AFTER INSERT OR UPDATE OR DELETE ON public.posts FOR EACH ROW EXECUTE FUNCTION pgbridge.reverse_capture('id');
CREATE TRIGGER _pgbridge_reverse_truncate BEFORE TRUNCATE ON public.posts FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.reverse_truncate();
CREATE TRIGGER _pgbridge_reverse AFTER INSERT OR UPDATE OR DELETE ON public.tags FOR EACH ROW EXECUTE FUNCTION pgbridge.reverse_capture('name');
CREATE TRIGGER _pgbridge_reverse_truncate BEFORE TRUNCATE ON public.tags FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.reverse_truncate();
CREATE TRIGGER _pgbridge_reverse AFTER INSERT OR UPDATE OR DELETE ON public.post_tags FOR EACH ROW EXECUTE FUNCTION pgbridge.reverse_capture('post_id', 'tag');
CREATE TRIGGER _pgbridge_reverse_truncate BEFORE TRUNCATE ON public.post_tags FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.reverse_truncate();
CREATE TRIGGER _pgbridge_reverse AFTER INSERT OR UPDATE OR DELETE ON public.post_embeddings FOR EACH ROW EXECUTE FUNCTION pgbridge.reverse_capture('post_id');
CREATE TRIGGER _pgbridge_reverse_truncate BEFORE TRUNCATE ON public.post_embeddings FOR EACH STATEMENT EXECUTE FUNCTION pgbridge.reverse_truncate();
