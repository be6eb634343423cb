-- Replica, before a snapshot copy into it: the parts the copy is cut into (a table, or a range of
-- its blocks) and which of them are in. Each part's rows and its copied_at commit together, so a
-- run killed part-way leaves exactly the finished parts marked: the next run copies the others
-- from the same snapshot while that is still held, or empties the tables and starts over.
CREATE TABLE IF NOT EXISTS replkit.copy_parts (
    slot        text        NOT NULL,
    snapshot    text        NOT NULL,
    holder      text        NOT NULL, -- the process holding the snapshot: "host pgid"

    "table"     text        NOT NULL,
    part        int         NOT NULL,
    parts       int         NOT NULL,
    first_block int8,
    end_block   int8,
    copied_at   timestamptz,
    PRIMARY KEY (slot, "table", part)
);
