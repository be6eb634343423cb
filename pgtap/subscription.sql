-- On one replica: its subscription exists, is enabled, has a running apply worker, every
-- table is ready, and apply has not failed. pg_stat_subscription has no "status" column (the
-- runbook's query fails): state comes from pg_subscription, pg_stat_subscription,
-- pg_subscription_rel and pg_stat_subscription_stats.
-- Variables: :subscription, :publication, :table_count.
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;
SELECT plan(7);

SELECT ok(EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription'), format('Subscription %s exists on this replica.', :'subscription'));
SELECT ok(coalesce((SELECT subenabled FROM pg_subscription WHERE subname = :'subscription'), false), format('Subscription %s is enabled.', :'subscription'));
SELECT is((SELECT subpublications FROM pg_subscription WHERE subname = :'subscription'), ARRAY[:'publication']::text[],
    format('Subscription %s subscribes to %s.', :'subscription', :'publication'));
SELECT ok(EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subname = :'subscription' AND relid IS NULL AND pid IS NOT NULL),
    format('An apply worker is running for %s.', :'subscription'));
SELECT is((SELECT count(*)::int FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
           WHERE s.subname = :'subscription' AND r.srsubstate = 'r'), :table_count,
    format('All %s subscribed tables are ready (state r).', :table_count));
SELECT is((SELECT coalesce(apply_error_count, 0) + coalesce(sync_error_count, 0) FROM pg_stat_subscription_stats WHERE subname = :'subscription'), 0::bigint,
    'Apply and table sync have never failed on this subscription (pg_stat_subscription_stats).');
SELECT ok((SELECT subconninfo ~ 'sslmode=(require|verify-ca|verify-full)' FROM pg_subscription WHERE subname = :'subscription'),
    'The subscription connects to the PRIMARY over TLS.');

SELECT finish();
ROLLBACK;
