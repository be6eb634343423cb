-- Switchover, on the new PRIMARY: it takes writes. As a replica its database was read-only for
-- client sessions, except the subscriptions' owner (sql/replication/060_read_only_replica.sql):
-- both settings go, and the switchover marker. One statement, run through the driver on the
-- session the switchover holds open: the write pause does not wait for a psql to start.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET default_transaction_read_only', current_user, current_database());
    EXECUTE format('ALTER DATABASE %I RESET replkit.switchover', current_database());
END
$$
