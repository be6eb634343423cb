-- make check and make metrics as a monitoring role (MONITOR_USER) instead of a superuser: what
-- they read, granted on this node, and nothing that writes. pg_monitor reads the statistics
-- views and every session's activity; the published tables and their sequences are read for the
-- counts, checksums and the sequences behind; replkit.table_fingerprint computes the checksums.
-- Three views PostgreSQL keeps from every role but superusers need a GRANT each, on the view and
-- on the function behind it: the applied position (pg_replication_origin_status), pg_hba.conf as
-- it reads now (pg_hba_file_rules) and the configuration files (pg_file_settings). The role
-- itself, its login and its password are the operator's (replkit never creates a login).
-- Variables: :role, :dbname, :tables (a comma-separated list of schema-qualified tables).
SELECT format('GRANT pg_monitor TO %I', :'role')
WHERE NOT pg_has_role(:'role', 'pg_monitor', 'MEMBER')
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'dbname', :'role')
\gexec
SELECT format('GRANT USAGE ON SCHEMA %I TO %I', nspname, :'role')
FROM pg_namespace
WHERE nspname IN ('public', 'replkit')
   OR oid IN (SELECT relnamespace FROM pg_class WHERE oid = ANY (string_to_array(:'tables', ', ')::regclass[]))
\gexec
SELECT format('GRANT SELECT ON TABLE %s TO %I', :'tables', :'role')
\gexec
-- The tables' own sequences (serial and identity columns): pg_sequences hides last_value otherwise.
SELECT format('GRANT SELECT ON SEQUENCE %s TO %I', d.objid::regclass, :'role')
FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
WHERE d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  AND d.refobjid = ANY (string_to_array(:'tables', ', ')::regclass[])
\gexec
SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p.oid::regprocedure, :'role')
FROM pg_proc p WHERE p.oid = to_regprocedure('replkit.table_fingerprint(regclass)')
\gexec
SELECT format('GRANT SELECT ON %s TO %I; GRANT EXECUTE ON FUNCTION %s TO %I', view, :'role', fn, :'role')
FROM (VALUES ('pg_replication_origin_status', 'pg_show_replication_origin_status()'),
             ('pg_hba_file_rules', 'pg_hba_file_rules()'),
             ('pg_file_settings', 'pg_show_all_file_settings()')) AS v(view, fn)
\gexec
