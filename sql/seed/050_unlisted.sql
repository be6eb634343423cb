-- Products on the PRIMARY that the file does not mention are left alone; the operator is told.
SELECT count(*)::int AS unlisted
FROM public.products p
WHERE NOT EXISTS (SELECT 1 FROM replkit_seed_staging s WHERE s.sku = p.sku)
