-- On a replica: logical replication copies rows but not sequence values (CORRECTIONS.md #10), so
-- after a switchover the replica's identity would hand out order_numbers the PRIMARY already
-- used. Raise the sequence to the PRIMARY's value — never lower it: a replica's sequence that is
-- ahead stays ahead (lowering it could re-issue numbers). Re-running changes nothing. Run through
-- the driver on a session that may write (inside the switchover's pause: no psql start-up).
-- $1: the sequence (schema-qualified), $2: the PRIMARY's last_value.
SELECT setval($1::text::regclass, $2::bigint, true)
WHERE coalesce((SELECT last_value FROM pg_sequences
                WHERE format('%I.%I', schemaname, sequencename) = $1::text), 0) < $2::bigint
