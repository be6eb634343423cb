-- Switchover, on the old PRIMARY, now a replica of the new one: it publishes no more (its
-- publication would make it look like a PRIMARY to make check), and it stays read-only for
-- clients (the apply worker writes regardless); the marker goes: the switch is complete.
-- Variables: :publication.
SELECT format('DROP PUBLICATION %I', :'publication')
WHERE EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
