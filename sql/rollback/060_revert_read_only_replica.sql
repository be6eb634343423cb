-- Rollback on one replica: without replication it is a database of its own again, and takes
-- client writes (undoes sql/replication/060_read_only_replica.sql).
SELECT format('ALTER DATABASE %I RESET default_transaction_read_only', current_database())
\gexec
SELECT format('ALTER ROLE %I IN DATABASE %I RESET default_transaction_read_only', current_user, current_database())
\gexec
