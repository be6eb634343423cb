-- Runbook 3.4: publish exactly the shop tables. An existing publication with another table
-- list is converged with SET TABLE rather than dropped, so the subscriptions keep their slots.
-- Variables: :publication, :tables (comma-separated, schema-qualified).
SELECT format('CREATE PUBLICATION %I FOR TABLE %s', :'publication', :'tables')
WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
SELECT format('ALTER PUBLICATION %I SET TABLE %s', :'publication', :'tables')
WHERE (SELECT array_agg(format('%I.%I', schemaname, tablename)::regclass::oid ORDER BY 1)
       FROM pg_publication_tables WHERE pubname = :'publication')
      IS DISTINCT FROM
      (SELECT array_agg(t::regclass::oid ORDER BY 1) FROM unnest(string_to_array(:'tables', ', ')) AS t)
\gexec
-- Runbook 3.4 also expects updates and deletes to replicate: publish all four operations.
SELECT format('ALTER PUBLICATION %I SET (publish = %L)', :'publication', 'insert, update, delete, truncate')
WHERE NOT (SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = :'publication')
\gexec
