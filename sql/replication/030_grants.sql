-- The initial table copy reads the published tables as this role, so it needs SELECT on them —
-- and on nothing else: no ALL TABLES, no default privileges (the runbook's grants leak every
-- future table to the replication role).
-- Variables: :role, :dbname, :tables (a comma-separated list of schema-qualified tables).
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'dbname', :'role')
\gexec
-- USAGE on public and on each published table's schema.
SELECT format('GRANT USAGE ON SCHEMA %I TO %I', nspname, :'role')
FROM pg_namespace
WHERE nspname = 'public'
   OR oid IN (SELECT relnamespace FROM pg_class WHERE oid = ANY (string_to_array(:'tables', ', ')::regclass[]))
\gexec
SELECT format('GRANT SELECT ON TABLE %s TO %I', :'tables', :'role')
\gexec
-- A table dropped from the publication is no longer readable by the replication role.
SELECT format('REVOKE SELECT ON TABLE %I.%I FROM %I', table_schema, table_name, :'role')
FROM information_schema.role_table_grants
WHERE grantee = :'role' AND privilege_type = 'SELECT'
  AND table_schema NOT IN ('pg_catalog', 'information_schema', 'pgtap', 'replkit')
  AND format('%I.%I', table_schema, table_name)::regclass <> ALL (string_to_array(:'tables', ', ')::regclass[])
\gexec
