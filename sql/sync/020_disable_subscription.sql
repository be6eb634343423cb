-- On the replica: stop the apply worker before its table is truncated, so that no change it had
-- already decoded for that table is applied into the emptied table (the copy would then hit a
-- duplicate key). replkit waits for the worker to exit before the TRUNCATE. Variables: :subscription.
ALTER SUBSCRIPTION :"subscription" DISABLE;
