-- Criterion 3 on one replica: a row inserted on the PRIMARY appears here within 2 s. The
-- runner inserts the canary on the PRIMARY and passes its sku and the PRIMARY's own arrival
-- stamp (:canary_sku, :inserted_at); this node's ALWAYS trigger stamped when the apply worker
-- applied it (replkit.canary_arrivals), so the latency is measured by the servers, not by
-- client polling. The suite waits up to 2 s for the row before judging.
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;
SELECT plan(2);

CREATE FUNCTION pg_temp.wait_for_canary(canary text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..400 LOOP
        IF EXISTS (SELECT 1 FROM public.products WHERE sku = canary) THEN RETURN true; END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
    RETURN false;
END $$;

SELECT ok(pg_temp.wait_for_canary(:'canary_sku'), format('Canary %s inserted on the PRIMARY is visible on this replica.', :'canary_sku'));

SELECT cmp_ok(
    (SELECT extract(epoch FROM arrived_at - :'inserted_at'::timestamptz) * 1000 FROM replkit.canary_arrivals WHERE sku = :'canary_sku')::numeric,
    '<', 2000::numeric, 'The canary arrived within 2 s of its insert on the PRIMARY.');

SELECT diag(format('canary propagation: %s ms',
    round((SELECT extract(epoch FROM arrived_at - :'inserted_at'::timestamptz) * 1000 FROM replkit.canary_arrivals WHERE sku = :'canary_sku')::numeric, 2)));

SELECT finish();
ROLLBACK;
