-- For this transaction only: the upserts hash-join the whole staging table against products; at
-- the default 4MB those hashes spill to disk in batches, which made the inventory upsert of 1M
-- products 2-3× slower (make bench-seed).
SET LOCAL work_mem = '256MB';
-- Each batch's match (025) looks up some 30,000 skus in products and inventory. At the default
-- random_page_cost of 4 the planner read both tables whole and hashed them instead, for every
-- batch: quadratic in the rows, and the bulk of a 1M seed. Their pages are in memory (the seed
-- has just written them), where an index probe costs about a sequential read; at 1.1 it probes
-- (measured, 1M products, 2 cores: seed 53 s → 44 s, re-seed 46 s → 14 s).
SET LOCAL random_page_cost = 1.1
