-- The whole file lands in a temporary table first (no WAL, gone at commit), so products are
-- upserted by one set-based statement instead of a row-at-a-time loop.
CREATE TEMPORARY TABLE replkit_seed_staging (
    sku         text    NOT NULL,
    title       text    NOT NULL,
    description text,
    price       numeric NOT NULL,
    stock       integer NOT NULL,
    category    text    NOT NULL,
    attributes  jsonb   NOT NULL
) ON COMMIT DROP
