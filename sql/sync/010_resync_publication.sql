-- On the PRIMARY, for `make sync --table T`: a temporary publication of every replicated table
-- but T. Only the replica being resynced switches its subscription to it, so T leaves THAT
-- subscription alone. Dropping T from the shared publication instead would stop T's changes for
-- every replica, and re-adding it would make REFRESH re-copy T onto replicas that still hold its
-- rows (duplicate keys) or, with copy_data = false, lose the changes made in between.
-- Variables: :publication (the temporary one), :tables (comma-separated, schema-qualified).
SELECT format('CREATE PUBLICATION %I FOR TABLE %s', :'publication', :'tables')
WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = :'publication')
\gexec
SELECT format('ALTER PUBLICATION %I SET TABLE %s', :'publication', :'tables')
WHERE (SELECT array_agg(format('%I.%I', schemaname, tablename) ORDER BY 1)
       FROM pg_publication_tables WHERE pubname = :'publication')
      IS DISTINCT FROM
      (SELECT array_agg(t ORDER BY 1) FROM unnest(string_to_array(:'tables', ', ')) AS t)
\gexec
