-- Every node: version, the settings logical replication needs, and how much of the walsender
-- and slot capacity is in use. pending_restart is true when the configuration files hold a new
-- value that only a restart applies (wal_level and the max_* settings are restart-only).
-- has_fingerprint: make schema installed replkit's checksum function here. tls: this very
-- session's TLS version (NULL: unencrypted), so the report shows how replkit reached the node.
-- wal_level_in_file: the value the configuration files give wal_level (pg_file_settings, the last
-- one wins; error says "setting could not be applied" while a restart is due); a restart applies
-- it. A line ending in "needs V" reads a view only superusers (or a GRANT) may: it is left out for
-- a role that may not (sql-files.ts forRole), and make check says what it could not see.
-- current_lsn: the WAL position a replica's applied commit is measured against (NULL in recovery).
-- read_only_for_clients: new sessions of this database start read-only (the database's own
-- default_transaction_read_only, for every role): what keeps clients from writing to a replica.
-- writes_as_owner: this session's role turns it off in this database (ALTER ROLE … IN DATABASE),
-- as the subscriptions' owner must (sql/replication/060_read_only_replica.sql).
SELECT current_setting('server_version') AS version,
       current_user AS role,
       current_setting('server_version_num')::int AS version_num,
       pg_is_in_recovery() AS in_recovery,
       CASE WHEN NOT pg_is_in_recovery() THEN pg_current_wal_lsn()::text END AS current_lsn,
       (SELECT json_object_agg(name, json_build_object('setting', setting, 'pending_restart', pending_restart))
          FROM pg_settings
         WHERE name IN ('wal_level', 'max_wal_senders', 'max_replication_slots',
                        'max_worker_processes', 'max_logical_replication_workers',
                        'max_slot_wal_keep_size', 'max_wal_size', 'wal_segment_size',
                        'wal_sender_timeout', 'wal_receiver_timeout',
                        -- 18: slots idle this long are invalidated; subscriptions a replica may run
                        'idle_replication_slot_timeout', 'max_active_replication_origins')) AS settings,
       (SELECT setting FROM pg_file_settings WHERE name = 'wal_level' ORDER BY seqno DESC LIMIT 1) AS wal_level_in_file, -- needs pg_file_settings
       (SELECT count(*)::int FROM pg_stat_replication) AS wal_senders_used,
       (SELECT count(*)::int FROM pg_replication_slots) AS slots_used,
       to_regprocedure('replkit.table_fingerprint(regclass)') IS NOT NULL AS has_fingerprint,
       coalesce((SELECT bool_or(lower(split_part(c, '=', 2)) IN ('on', 'true', 'yes', '1'))
                   FROM pg_db_role_setting s, unnest(s.setconfig) AS c
                  WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND s.setrole = 0 AND split_part(c, '=', 1) = 'default_transaction_read_only'), false) AS read_only_for_clients,
       coalesce((SELECT bool_or(lower(split_part(c, '=', 2)) IN ('off', 'false', 'no', '0'))
                   FROM pg_db_role_setting s, unnest(s.setconfig) AS c
                  WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                    AND split_part(c, '=', 1) = 'default_transaction_read_only'), false) AS writes_as_owner,
       (SELECT CASE WHEN ssl THEN version END FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls;
