-- On the replica, inside the transaction of an atomic resync (scripts/lib/sync/atomic-copy.ts):
-- the current subscription steps aside under another name, so its replacement can take the name
-- in the same transaction. Renaming keeps its replication origin: if the copy fails, the
-- transaction rolls back and the subscription is exactly as it was (DROP SUBSCRIPTION would lose
-- the origin's position even when rolled back). Variables: :subscription, :replaced.
SELECT format('ALTER SUBSCRIPTION %I RENAME TO %I', :'subscription', :'replaced')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
