-- The partition drill's cleanup, on the PRIMARY: back to the listen_addresses of the node's
-- configuration files (ALTER SYSTEM's value overrode them). Takes effect after a restart.
ALTER SYSTEM RESET listen_addresses;
