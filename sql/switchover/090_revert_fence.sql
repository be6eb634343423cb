-- Switchover rolled back, on the old PRIMARY: it takes writes again, as before the fence.
SELECT format('ALTER DATABASE %I RESET default_transaction_read_only', current_database())
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
