-- Switchover, on the new PRIMARY inside the write pause (every replica has applied the fenced
-- PRIMARY's last commit, nobody writes): a logical slot for one node that will follow it. Its
-- subscription is created after the pause on this slot (create_slot = false), so it streams every
-- write the new PRIMARY takes from its first, and the pause does not wait for a subscription's own
-- connection. A slot of that name already there is the server's error: a stale slot would
-- replay changes every node already holds. Run through the driver. $1: the slot's name.
SELECT (pg_create_logical_replication_slot($1, 'pgoutput')).lsn::text AS lsn
