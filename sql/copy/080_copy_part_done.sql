-- Replica, in the transaction of the part's COPY (psql variables slot, table, part): the part is
-- in, and commits with its rows.
UPDATE replkit.copy_parts SET copied_at = now()
 WHERE slot = :'slot' AND "table" = :'table' AND part = :part;
