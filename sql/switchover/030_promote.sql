-- Switchover, on the new PRIMARY: it takes writes. As a replica its database was read-only for
-- client sessions, except the subscriptions' owner (sql/replication/060_read_only_replica.sql):
-- both settings go, and the switchover marker.
SELECT format('ALTER DATABASE %I RESET default_transaction_read_only', current_database())
\gexec
SELECT format('ALTER ROLE %I IN DATABASE %I RESET default_transaction_read_only', current_user, current_database())
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
