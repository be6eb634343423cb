-- On the replica, once the conflict is resolved: apply_error_count is cumulative, so make check
-- would keep reporting an error that is gone. Variables: :subscription.
SELECT pg_stat_reset_subscription_stats(oid) FROM pg_subscription WHERE subname = :'subscription';
