-- Rollback on a replica whose slot cannot be dropped (PRIMARY unreachable, or slot already gone):
-- DROP SUBSCRIPTION would try to drop the remote slot and fail. Detach the slot first (a slot left
-- behind is dropped on the PRIMARY by the next make rollback; make check reports it). Variables: :subscription.
SELECT format('ALTER SUBSCRIPTION %I DISABLE', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
SELECT format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
SELECT format('DROP SUBSCRIPTION %I', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
