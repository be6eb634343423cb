-- On the PRIMARY: the publication exists and publishes exactly the shop tables, logical WAL is
-- on, and every subscription has an active slot and a walsender replaying (the runbook's
-- "Replication Status" query, corrected: replay_lsn, not replay_location).
-- Variables: :publication, :tables (a JSON array of replkit's names: one part is a table in public),
-- :subscriptions (comma-separated), :slots (the slot each subscription streams from, comma-separated).
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;
SELECT plan(7);

SELECT is(current_setting('wal_level'), 'logical', 'The PRIMARY writes logical WAL (wal_level = logical, in effect after a restart).');
SELECT is((SELECT pending_restart FROM pg_settings WHERE name = 'wal_level'), false, 'No wal_level change is waiting for a restart.');
SELECT ok(EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication'), format('Publication %s exists.', :'publication'));
SELECT set_eq(
    -- both sides as regclass text under this search_path: one spelling per table
    format('SELECT format(''%%I.%%I'', schemaname, tablename)::regclass::text FROM pg_publication_tables WHERE pubname = %L', :'publication'),
    format($$SELECT to_regclass(CASE WHEN cardinality(parse_ident(t)) = 1 THEN 'public.' || t ELSE t END)::text
               FROM jsonb_array_elements_text(%L) AS t$$, :'tables'),
    format('Publication %s publishes exactly the shop tables.', :'publication'));
SELECT ok((SELECT pubinsert AND pubupdate AND pubdelete FROM pg_publication WHERE pubname = :'publication'),
    'Inserts, updates and deletes are all published.');
SELECT set_eq(
    'SELECT slot_name::text FROM pg_replication_slots WHERE slot_type = ''logical'' AND active',
    format('SELECT unnest(string_to_array(%L, '',''))', :'slots'),
    'Every subscription has an active logical slot on the PRIMARY, and there is no other.');
SELECT set_eq(
    'SELECT application_name::text FROM pg_stat_replication WHERE replay_lsn IS NOT NULL',
    format('SELECT unnest(string_to_array(%L, '',''))', :'subscriptions'),
    'Every subscription has a walsender on the PRIMARY that reports a replay position.');

SELECT finish();
ROLLBACK;
