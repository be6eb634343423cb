-- On the PRIMARY: a slot whose replica is gone retains WAL until the disk fills. Only an
-- inactive slot is dropped; an active one still has a walsender reading it. Variables: :slot.
SELECT pg_drop_replication_slot(slot_name)
FROM pg_replication_slots
WHERE slot_name = :'slot' AND NOT active;
