-- Products on the PRIMARY that the file does not mention are left alone; the operator is told.
-- Every sku of the file is a product now and appears once in it ($1 records), so the others are
-- the count minus $1 (one scan; no anti-join against a staging table that holds one batch).
SELECT greatest(count(*)::int - $1::int, 0) AS unlisted
FROM public.products
