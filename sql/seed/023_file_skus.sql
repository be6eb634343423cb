-- Every sku of the batch joins the file's skus (010). A sku already there, or twice in this
-- batch, is not added: fewer rows than the batch holds means the file repeats a sku, and 024
-- names it before anything is written for this batch. In file order, so the first occurrence is
-- the one kept.
INSERT INTO replkit_seed_skus (sku, record)
SELECT sku, record FROM replkit_seed_staging ORDER BY record
ON CONFLICT (sku) DO NOTHING
