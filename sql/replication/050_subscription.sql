-- Runbook 3.5 on one replica. copy_data = true makes the subscription copy every table
-- once, then stream changes; the slot on the PRIMARY is created with it. streaming = on
-- (PostgreSQL 14+) sends a large transaction while it is still running, in chunks of
-- logical_decoding_work_mem, instead of decoding it whole first and sending it in one go.
-- Variables: :subscription, :publication, and :conninfo (secret: set on stdin, never in argv).
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true, create_slot = true, enabled = true, streaming = on)',
              :'subscription', :'conninfo', :'publication')
WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
-- A rotated password or a moved PRIMARY: point the existing subscription at the new conninfo.
SELECT format('ALTER SUBSCRIPTION %I CONNECTION %L', :'subscription', :'conninfo')
FROM pg_subscription
WHERE subname = :'subscription' AND subconninfo IS DISTINCT FROM :'conninfo'
\gexec
-- A subscription made before streaming was set: converge it.
SELECT format('ALTER SUBSCRIPTION %I SET (streaming = on)', :'subscription')
FROM pg_subscription
WHERE subname = :'subscription' AND substream::text IN ('false', 'f')  -- boolean on 15, a char on 16+
\gexec
