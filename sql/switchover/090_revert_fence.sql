-- On the old PRIMARY: it takes client writes again — a switchover rolled back, or a demoted PRIMARY
-- opened to writes by hand (the tests and make bench, which write to replicas directly).
SELECT format('ALTER DATABASE %I RESET default_transaction_read_only', current_database())
\gexec
SELECT format('ALTER DATABASE %I RESET replkit.switchover', current_database())
\gexec
