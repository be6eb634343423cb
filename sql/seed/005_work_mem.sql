-- For this transaction only: the upserts hash-join the whole staging table against products; at
-- the default 4MB those hashes spill to disk in batches, which made the inventory upsert of 1M
-- products 2-3× slower (make bench-seed).
SET LOCAL work_mem = '256MB'
