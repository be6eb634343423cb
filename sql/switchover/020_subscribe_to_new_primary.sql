-- Switchover, on the old PRIMARY and every other replica: subscribe to the new PRIMARY from
-- exactly the point of its slot, reserved for this node before it took its first write
-- (025_reserve_slot.sql; a rollback reserves one on the old PRIMARY the same way): nothing it
-- writes is missed. copy_data = false: every node already holds the same rows (proven before the
-- fence), and a copy would apply them twice.
-- Variables: :subscription (also the slot's name), :publication, :options (chosen for the two
-- versions), :conninfo (secret).
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = false, create_slot = false, slot_name = %I, enabled = true, %s)',
              :'subscription', :'conninfo', :'publication', :'subscription', :'options')
WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
