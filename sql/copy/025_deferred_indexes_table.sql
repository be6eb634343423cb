-- Replica, before 030 and 050: where the definitions of the secondary indexes dropped for a copy
-- are kept until they are built again, so an interrupted run finds and builds them.
CREATE TABLE IF NOT EXISTS replkit.deferred_indexes (
    index      text PRIMARY KEY,
    "table"    text        NOT NULL,
    definition text        NOT NULL,
    saved_at   timestamptz NOT NULL DEFAULT now()
);
