-- Switchover, on the new PRIMARY: it takes writes. A node that was itself fenced as a PRIMARY
-- before (the way back) still carries default_transaction_read_only for its database: reset it,
-- and the switchover marker.
SELECT format('ALTER DATABASE %I RESET default_transaction_read_only', current_database())
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
