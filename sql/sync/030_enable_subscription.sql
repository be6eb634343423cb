-- On the replica: start the apply worker again; it resumes from its replication origin's
-- position, so nothing committed on the PRIMARY meanwhile is skipped. Variables: :subscription.
ALTER SUBSCRIPTION :"subscription" ENABLE;
