-- Undoes 025_reserve_slot.sql on a node that did not become the PRIMARY (a switchover rolled
-- back or undone after a crash): the slots reserved there for its followers would retain WAL
-- forever. Only inactive logical slots of the given names. Variables: :slots (comma-separated).
SELECT pg_drop_replication_slot(slot_name)
FROM pg_replication_slots
WHERE slot_name = ANY (string_to_array(:'slots', ',')) AND slot_type = 'logical' AND NOT active;
