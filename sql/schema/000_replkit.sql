-- replkit's own bookkeeping lives in its own schema so that it is never published or mistaken
-- for shop data. schema_migrations records which versioned files a node has applied, so a
-- re-run of `make schema` is a no-op and a changed file is noticed.
CREATE SCHEMA IF NOT EXISTS replkit;

CREATE TABLE IF NOT EXISTS replkit.schema_migrations (
    version    text PRIMARY KEY,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- updated_at is kept by the database, not by callers, so every writer gets it right.
-- search_path is pinned: apply workers run with an empty search_path.
CREATE OR REPLACE FUNCTION replkit.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
