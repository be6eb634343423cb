-- Only on a replica that holds rows but has no subscription yet (e.g. after a rollback): the
-- initial copy (copy_data = true) would hit duplicate keys and retry forever. One TRUNCATE of
-- all subscribed tables, because their foreign keys forbid truncating them one by one.
-- Run only with --truncate-replicas --yes, or by make sync: inside the one transaction of an
-- atomic resync (rolled back with the copy if any part fails), or for one table with its apply
-- worker stopped. Variables: :tables.
TRUNCATE TABLE :tables;
