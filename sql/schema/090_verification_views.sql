-- The runbook's verification queries, corrected, as views so that every node runs the very
-- same text. Corrections: the sample is ordered by a unique key after created_at (seeded rows
-- share one created_at, so the runbook's LIMIT 5 picked arbitrary rows per node), and canary
-- rows are left out (they come and go during verification).
CREATE OR REPLACE VIEW replkit.row_counts AS
SELECT (SELECT count(*) FROM public.categories)  AS categories,
       (SELECT count(*) FROM public.products WHERE sku NOT LIKE 'REPLKIT-CANARY-%') AS products,
       (SELECT count(*) FROM public.inventory)   AS inventory,
       (SELECT count(*) FROM public.orders)      AS orders,
       (SELECT count(*) FROM public.order_items) AS order_items,
       (SELECT count(*) FROM public.payments)    AS payments;

CREATE OR REPLACE VIEW replkit.sample_products AS
SELECT id, sku, title, price, stock
FROM public.products
WHERE sku NOT LIKE 'REPLKIT-CANARY-%'
ORDER BY created_at DESC, sku
LIMIT 5;
