-- Run only when 023 added fewer skus than the batch holds: the first record of the batch whose
-- sku was first seen at another record, with both places, for the error message.
SELECT s.sku, s.record, s.line, k.record AS first
FROM replkit_seed_staging s
JOIN replkit_seed_skus k USING (sku)
WHERE k.record <> s.record
ORDER BY s.record
LIMIT 1
