-- Switchover, on the old PRIMARY and every other replica: subscribe to the new PRIMARY from
-- exactly this point. copy_data = false: every node already holds the same rows (the fenced
-- PRIMARY's, proven by checksums just before), and a copy would apply them twice. The slot is
-- created now, on the new PRIMARY, before it takes its first write: nothing it writes is missed.
-- Variables: :subscription, :publication, :options (chosen for the two versions), :conninfo (secret).
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = false, create_slot = true, enabled = true, %s)',
              :'subscription', :'conninfo', :'publication', :'options')
WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
