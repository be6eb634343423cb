-- Runbook 3.2, least privilege: the replication role can log in and stream, nothing more.
-- No password here: replkit sets a SCRAM verifier computed client-side (never the plain text).
-- Variables: :role.
SELECT format('CREATE ROLE %I WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
-- An existing role is brought to the same attributes, whatever someone gave it by hand.
SELECT format('ALTER ROLE %I WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS', :'role')
\gexec
