-- The partition drill, on the PRIMARY: also listen on the host end of the drill's veth pair, so
-- a replica inside the network namespace can reach it (it cannot reach the host's loopback).
-- listen_addresses takes effect after a restart. Variables: :address.
SELECT format('ALTER SYSTEM SET listen_addresses = %L', current_setting('listen_addresses') || ',' || :'address')
WHERE NOT (:'address' = ANY (string_to_array(replace(current_setting('listen_addresses'), ' ', ''), ',')))
\gexec
