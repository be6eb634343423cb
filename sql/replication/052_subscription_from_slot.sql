-- Runbook 3.5 on one replica, after replkit copied its tables from the snapshot exported with
-- the slot :slot (scripts/lib/replication/snapshot-copy.ts, what pgcopydb --follow does): the
-- subscription takes over that slot, so it streams exactly what committed after the copy's
-- snapshot; copy_data = false, because the rows are there. Same options as 050.
-- Variables: :subscription, :publication, :slot, :options, and :conninfo (secret: on stdin).
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = false, create_slot = false, slot_name = %L, enabled = true, %s)',
              :'subscription', :'conninfo', :'publication', :'slot', :'options')
WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
