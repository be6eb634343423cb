-- compare, every node, at the start of each comparing transaction: how values render as text is
-- pinned, so the same row hashes the same on every node and version whatever the session's or
-- the server's settings (as replkit.table_fingerprint pins them). enable_sort = off: the blocks
-- are grouped by hashing, the planner has no statistics for a block number and would sort.
-- parallel_tuple_cost = 0: it also guesses one block per row, so a partial aggregate per worker
-- looks useless and the scan ran in one process (1M rows: 3.2 s, 1.8 s with two workers).
SET LOCAL timezone = 'UTC';
SET LOCAL datestyle = 'ISO, MDY';
SET LOCAL intervalstyle = 'postgres';
SET LOCAL extra_float_digits = 1;
SET LOCAL bytea_output = 'hex';
SET LOCAL enable_sort = off;
SET LOCAL parallel_tuple_cost = 0;
-- 65,536 blocks' sums need ~25 MB: under the default work_mem the aggregate spilled to disk in 65 batches.
SET LOCAL work_mem = '64MB';
