-- The file lands in a temporary table (no WAL, gone at commit) one batch at a time, so products
-- are upserted by set-based statements instead of a row-at-a-time loop. The delta holds what
-- differs in the batch (025). Both are emptied before each batch (022).
CREATE TEMPORARY TABLE replkit_seed_staging (
    sku         text    NOT NULL,
    title       text    NOT NULL,
    description text,
    price       numeric NOT NULL,
    stock       integer NOT NULL,
    category    text    NOT NULL,
    attributes  jsonb   NOT NULL
) ON COMMIT DROP;

CREATE TEMPORARY TABLE replkit_seed_delta (
    sku               text    NOT NULL,
    title             text    NOT NULL,
    description       text,
    price             numeric NOT NULL,
    stock             integer NOT NULL,
    attributes        jsonb   NOT NULL,
    category_id       uuid    NOT NULL,
    product_id        uuid    NOT NULL,
    is_new            boolean NOT NULL,
    product_changed   boolean NOT NULL,
    inventory_missing boolean NOT NULL
) ON COMMIT DROP
