-- A subscription whose tables lag its publication's (a table was published after it was made):
-- REFRESH PUBLICATION adds the new tables, copying each once (copy_data = true), and stops
-- applying tables no longer published. It cannot run in a transaction block: psql runs this
-- file in autocommit. Variables: :subscription.
SELECT format('ALTER SUBSCRIPTION %I REFRESH PUBLICATION WITH (copy_data = true)', :'subscription')
\gexec
