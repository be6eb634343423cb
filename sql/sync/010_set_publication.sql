-- On the replica being resynced: subscribe to another publication. REFRESH drops the tables it
-- no longer has from THIS subscription only, and (copy_data = true) copies the tables it gains
-- at a snapshot, then applies every change committed after it: nothing lost, nothing doubled.
-- The other replicas' subscriptions are not touched. Cannot run inside a transaction block.
-- Variables: :subscription, :publication, :copy_data (true or false).
ALTER SUBSCRIPTION :"subscription" SET PUBLICATION :"publication" WITH (refresh = true, copy_data = :copy_data);
