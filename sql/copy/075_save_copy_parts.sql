-- Replica: the plan of a new snapshot copy ($1: JSON array of parts), none copied yet. A plan of
-- an earlier copy through the same slot is replaced: that copy was emptied or never began.
WITH plan AS (
    SELECT * FROM jsonb_to_recordset($1::text::jsonb)
        AS p (slot text, snapshot text, holder text, "table" text, part int, parts int, first_block int8, end_block int8)
), old AS (
    DELETE FROM replkit.copy_parts c USING (SELECT DISTINCT slot FROM plan) s WHERE c.slot = s.slot
)
INSERT INTO replkit.copy_parts (slot, snapshot, holder, "table", part, parts, first_block, end_block)
SELECT slot, snapshot, holder, "table", part, parts, first_block, end_block FROM plan;
