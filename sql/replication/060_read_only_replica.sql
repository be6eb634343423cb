-- On each replica: only the PRIMARY takes client writes. New client sessions of this database
-- start read-only, so an application that reaches a replica (a libpq multi-host URL, an old
-- address after a switchover) is refused instead of writing rows the PRIMARY never gets.
-- A switchover lifts it on the node it promotes (sql/switchover/030_promote.sql), and runs this
-- on the node it demotes before that node subscribes to the new PRIMARY.
SELECT format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database())
\gexec
-- Except the subscriptions' owner (replkit's login, which creates them): the apply worker runs
-- as that role with its settings, and a trigger that fires there (ENABLE ALWAYS, such as
-- replkit's canary stamp) runs SQL, which a read-only transaction refuses — apply would stop.
-- The worker reads its settings when it starts: this must be in place before the subscription.
SELECT format('ALTER ROLE %I IN DATABASE %I SET default_transaction_read_only = off', current_user, current_database())
\gexec
