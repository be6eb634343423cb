-- make repair, on the replica, once per session: the repair's writes are marked with their own
-- replication origin, so a subscriber of this node with origin = none never takes them (they
-- are the PRIMARY's rows, not this node's), and the origin names them in logical decoding.
-- Superuser (or a role granted the origin functions) only, as the apply worker's own writes.
SELECT pg_replication_origin_create('replkit_repair')
 WHERE NOT EXISTS (SELECT FROM pg_replication_origin WHERE roname = 'replkit_repair');
SELECT pg_replication_origin_session_setup('replkit_repair');
