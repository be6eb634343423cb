-- Rollback on one replica. DROP SUBSCRIPTION also drops its slot on the PRIMARY, which is what
-- stops the PRIMARY from retaining WAL for it. Variables: :subscription.
SELECT format('DROP SUBSCRIPTION %I', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
