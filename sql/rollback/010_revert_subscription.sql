-- Rollback on one replica. DROP SUBSCRIPTION also drops its slot on the PRIMARY, which is what
-- stops the PRIMARY from retaining WAL for it. Disabled first: a worker that DROP kills makes the
-- launcher start one again for the subscription still visible to it, and on PostgreSQL 15 that
-- futile start delays the next subscription's worker by wal_retrieve_retry_interval (5 s).
-- Variables: :subscription.
SELECT format('ALTER SUBSCRIPTION %I DISABLE', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription' AND subenabled)
\gexec
SELECT format('DROP SUBSCRIPTION %I', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
