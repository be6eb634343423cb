-- Runbook 3.5 on one replica. copy_data = true makes the subscription copy every table
-- once, then stream changes; the slot on the PRIMARY is created with it.
-- Variables: :subscription, :publication, and :conninfo (secret: set on stdin, never in argv).
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true, create_slot = true, enabled = true)',
              :'subscription', :'conninfo', :'publication')
WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
-- A rotated password or a moved PRIMARY: point the existing subscription at the new conninfo.
SELECT format('ALTER SUBSCRIPTION %I CONNECTION %L', :'subscription', :'conninfo')
FROM pg_subscription
WHERE subname = :'subscription' AND subconninfo IS DISTINCT FROM :'conninfo'
\gexec
