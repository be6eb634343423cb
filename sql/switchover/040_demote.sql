-- Switchover, on the old PRIMARY, now a replica of the new one: it publishes no more (its
-- publication would make it look like a PRIMARY to make check), once every replica streams from
-- the new one. It is already read-only for client sessions as every replica is, the
-- subscriptions' owner exempt, since before its own subscription was created
-- (sql/replication/060_read_only_replica.sql: an apply worker takes its role's settings when it
-- starts). The marker goes: the switch is complete. Variables: :publication.
SELECT format('DROP PUBLICATION %I', :'publication')
WHERE EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
