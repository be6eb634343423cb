-- Runbook 3.5 on one replica. copy_data = true makes the subscription copy every table
-- once, then stream changes; the slot on the PRIMARY is created with it. The other options
-- depend on both ends' versions (scripts/lib/replication/options.ts: streaming on or parallel,
-- binary, origin = none, failover); make replicate --dry-run says which and why.
-- Variables: :subscription, :publication, :options (that WITH list), :set_options (options of an
-- existing subscription to converge, or empty), and :conninfo (secret: set on stdin, never in argv).
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true, create_slot = true, enabled = true, %s)',
              :'subscription', :'conninfo', :'publication', :'options')
WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
-- A rotated password or a moved PRIMARY: point the existing subscription at the new conninfo.
SELECT format('ALTER SUBSCRIPTION %I CONNECTION %L', :'subscription', :'conninfo')
FROM pg_subscription
WHERE subname = :'subscription' AND subconninfo IS DISTINCT FROM :'conninfo'
\gexec
-- A subscription made with other options (an older replkit, or a node since upgraded): converge.
SELECT format('ALTER SUBSCRIPTION %I SET (%s)', :'subscription', :'set_options')
FROM pg_subscription
WHERE subname = :'subscription' AND :'set_options' <> ''
\gexec
