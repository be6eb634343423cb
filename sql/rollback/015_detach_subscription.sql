-- Rollback on a replica whose PRIMARY is unreachable: DROP SUBSCRIPTION would try to drop the
-- remote slot and fail. Detach the slot first (it must then be dropped on the PRIMARY when it
-- is back — make rollback does that, and make check reports any orphan). Variables: :subscription.
SELECT format('ALTER SUBSCRIPTION %I DISABLE', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
SELECT format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
SELECT format('DROP SUBSCRIPTION %I', :'subscription')
WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = :'subscription')
\gexec
