-- replkit.table_fingerprint (070) made STRICT: a table that does not exist (to_regclass gives
-- NULL, as sql/check/checksums.sql passes it for a table missing on a node) is never queried,
-- whatever plan the caller's query gets (a WHERE beside the call did not stop it from running,
-- and the node was then reported unreadable). A new file: applied files are never edited.
ALTER FUNCTION replkit.table_fingerprint(regclass) STRICT;
