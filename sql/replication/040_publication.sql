-- Runbook 3.4: publish exactly the shop tables, each with its column list and row filter
-- (PUBLICATION_TABLES). An existing publication that differs is converged with SET TABLE rather
-- than dropped, so the subscriptions keep their slots; replkit runs this file only when the
-- publication differs from what PostgreSQL makes of :objects (replication/publication.ts), and
-- SET TABLE with the same list changes nothing.
-- Variables: :publication, :objects (the FOR TABLE list: schema-qualified tables, each with
-- (columns) and WHERE (filter) where PUBLICATION_TABLES gives them).
SELECT format('CREATE PUBLICATION %I FOR TABLE %s', :'publication', :'objects')
WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
SELECT format('ALTER PUBLICATION %I SET TABLE %s', :'publication', :'objects')
WHERE EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
-- Runbook 3.4 also expects updates and deletes to replicate: publish all four operations.
SELECT format('ALTER PUBLICATION %I SET (publish = %L)', :'publication', 'insert, update, delete, truncate')
WHERE NOT (SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = :'publication')
\gexec
