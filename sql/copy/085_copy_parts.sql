-- Replica: the parts of the copy through slot $1, in their order, and which are in.
SELECT snapshot, holder, "table", part, parts, first_block, end_block, copied_at IS NOT NULL AS copied
  FROM replkit.copy_parts
 WHERE slot = $1
 ORDER BY "table", part;
