-- PostgreSQL 16+, SUBSCRIPTION_OWNER set: the replica's subscription owned by that role, which is
-- not a superuser, instead of replkit's login. The apply worker logs in as its owner (the role
-- must LOGIN: preflight) and applies as it, so the role gets here exactly what that needs.
-- Variables: :role, :dbname, :tables (schema-qualified, comma-separated), :subscription.
-- pg_create_subscription and CREATE on the database: the role may alter and re-create its
-- subscriptions itself, as PostgreSQL 16 lets a non-superuser.
SELECT format('GRANT pg_create_subscription TO %I', :'role')
WHERE NOT pg_has_role(:'role', 'pg_create_subscription', 'MEMBER')
\gexec
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO %I', :'dbname', :'role')
\gexec
SELECT format('GRANT USAGE ON SCHEMA %I TO %I', nspname, :'role')
FROM pg_namespace
WHERE nspname IN ('public', 'replkit')
   OR oid IN (SELECT relnamespace FROM pg_class WHERE oid = ANY (string_to_array(:'tables', ', ')::regclass[]))
\gexec
-- As whom rows are applied: each table's owner (run_as_owner = false, PostgreSQL's safer default)
-- when the role may SET ROLE to every one of them; otherwise the role itself (run_as_owner = true),
-- which then needs the rows' privileges on each published table — and nothing more.
SELECT coalesce(bool_and(pg_has_role(:'role', c.relowner, 'SET')), false) AS as_table_owners
FROM pg_class c WHERE c.oid = ANY (string_to_array(:'tables', ', ')::regclass[])
\gset
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE %s TO %I', :'tables', :'role')
WHERE NOT :'as_table_owners'::boolean
\gexec
-- A trigger that fires in the apply worker (ENABLE ALWAYS: replkit's canary stamp) runs as the
-- role too when it applies as itself.
SELECT format('GRANT SELECT, INSERT, UPDATE ON replkit.canary_arrivals TO %I', :'role')
WHERE NOT :'as_table_owners'::boolean AND to_regclass('replkit.canary_arrivals') IS NOT NULL
\gexec
-- A replica is read-only for client sessions (060): the worker takes its owner's settings, and a
-- trigger's SQL would be refused in a read-only transaction. Set before the worker restarts as it.
SELECT format('ALTER ROLE %I IN DATABASE %I SET default_transaction_read_only = off', :'role', :'dbname')
\gexec
-- password_required = true: a non-superuser's worker must authenticate with the password of the
-- conninfo (PostgreSQL's default; set back if someone turned it off).
SELECT format('ALTER SUBSCRIPTION %I SET (password_required = true, run_as_owner = %s)', subname, (NOT :'as_table_owners'::boolean)::text)
FROM pg_subscription
WHERE subname = :'subscription' AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (NOT subpasswordrequired OR subrunasowner IS DISTINCT FROM NOT :'as_table_owners'::boolean)
\gexec
-- Last: the worker restarts as its new owner, with everything above in place.
SELECT format('ALTER SUBSCRIPTION %I OWNER TO %I', subname, :'role')
FROM pg_subscription
WHERE subname = :'subscription' AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND subowner <> to_regrole(:'role')
\gexec
