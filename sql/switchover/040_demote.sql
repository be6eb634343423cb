-- Switchover, on the old PRIMARY, now a replica of the new one: it publishes no more (its
-- publication would make it look like a PRIMARY to make check); it stays read-only for client
-- sessions as every replica is, except the subscriptions' owner, whose settings the apply worker
-- takes (a trigger firing there runs SQL; see sql/replication/060_read_only_replica.sql). The
-- marker goes: the switch is complete. Variables: :publication.
SELECT format('DROP PUBLICATION %I', :'publication')
WHERE EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
SELECT format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database())
\gexec
SELECT format('ALTER ROLE %I IN DATABASE %I SET default_transaction_read_only = off', current_user, current_database())
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
