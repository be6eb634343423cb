-- make bench (run by psql): the single-table copy's table, shaped like order_items (three uuid
-- keys, two of them indexed besides the primary key), with :rows deterministic rows: the
-- PRIMARY's bench database gets them all, the replica's 0 (the empty table a copy fills).
-- No foreign keys: the table stands alone in a database of its own.
CREATE SCHEMA IF NOT EXISTS replkit;

DROP TABLE IF EXISTS public.bench_rows;

CREATE TABLE public.bench_rows (
    id         uuid          NOT NULL,
    order_id   uuid          NOT NULL,
    product_id uuid          NOT NULL,
    quantity   integer       NOT NULL,
    unit_price numeric(12,2) NOT NULL,
    created_at timestamptz   NOT NULL,
    updated_at timestamptz   NOT NULL
);

INSERT INTO public.bench_rows
SELECT md5('item' || g)::uuid,
       md5('order' || g / 2)::uuid,
       md5('product' || g % 100000)::uuid,
       g % 5 + 1,
       (g % 100000) / 100.0,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, :rows) AS g;

-- The keys and the index after the rows: one sort each, not a random page per row.
ALTER TABLE public.bench_rows ADD PRIMARY KEY (id), ADD UNIQUE (order_id, product_id);
CREATE INDEX bench_rows_product_id_idx ON public.bench_rows (product_id);

-- Both copies read the table the same way: the visibility map set, no hint bits left to write.
VACUUM (ANALYZE) public.bench_rows;
