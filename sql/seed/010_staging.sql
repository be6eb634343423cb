-- The file lands in a temporary table (no WAL, gone at commit) one batch at a time, so products
-- are upserted by set-based statements instead of a row-at-a-time loop; record and line say
-- where each row is in the file. The delta holds what differs in the batch (025). Both are
-- emptied before each batch (022). The skus table keeps every sku of the file with its record
-- for the whole seed, so the server, not Node, finds a sku that appears twice (023) and the
-- client's memory stays one batch big however long the file is.
CREATE TEMPORARY TABLE replkit_seed_staging (
    sku         text    NOT NULL,
    title       text    NOT NULL,
    description text,
    price       numeric NOT NULL,
    stock       integer NOT NULL,
    category    text    NOT NULL,
    attributes  jsonb   NOT NULL,
    record      integer NOT NULL,
    line        integer NOT NULL
) ON COMMIT DROP;

CREATE TEMPORARY TABLE replkit_seed_skus (
    sku    text    PRIMARY KEY,
    record integer NOT NULL
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
