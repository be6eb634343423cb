-- Tell the planner how big products and inventory really are, inside the seed's transaction:
-- at the start, and again each time the seed has doubled the rows it added (seed.ts decides).
-- ANALYZE here counts this transaction's own uncommitted rows as live; one run from any other
-- session (autovacuum's, say) sees them as in progress, records the table as empty over many
-- pages, and every later plan in the seed takes products for one row: the batch match then
-- nests full index scans of products and inventory, quadratic in the rows (measured: 1M products
-- did not finish in 11 minutes; 77 s otherwise). ANALYZE also holds SHARE UPDATE EXCLUSIVE on
-- both tables until the seed ends, so no such run can start meanwhile (autovacuum skips them;
-- a manual VACUUM or ANALYZE of them waits for the seed).
ANALYZE public.products, public.inventory
