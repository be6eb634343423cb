-- The partition drill, on the PRIMARY: also listen on the host end of the drill's veth pair, so
-- a replica inside the network namespace can reach it (it cannot reach the host's loopback),
-- and give up on a silent receiver after 5 s instead of PostgreSQL's 60 s, so the drill's 10 s
-- cut is seen by the walsender. Both take effect after the restart the drill does next.
-- Variables: :address.
SELECT format('ALTER SYSTEM SET listen_addresses = %L', current_setting('listen_addresses') || ',' || :'address')
WHERE NOT (:'address' = ANY (string_to_array(replace(current_setting('listen_addresses'), ' ', ''), ',')))
\gexec
ALTER SYSTEM SET wal_sender_timeout = '5s';
