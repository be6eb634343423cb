-- On a replica: logical replication copies rows but not sequence values (CORRECTIONS.md #10), so
-- after a switchover the replica's identity would hand out order_numbers the PRIMARY already
-- used. Raise the sequence to the PRIMARY's value — never lower it: a replica's sequence that is
-- ahead stays ahead (lowering it could re-issue numbers). Re-running changes nothing.
-- Variables: :sequence (schema-qualified), :value (the PRIMARY's last_value).
SELECT setval(:'sequence', :value, true)
WHERE coalesce((SELECT last_value FROM pg_sequences
                WHERE format('%I.%I', schemaname, sequencename) = :'sequence'), 0) < :value;
