-- Replica, in the transaction that drops them: the definitions of the indexes the copy defers
-- (020_secondary_indexes.sql), kept until 050 has built them again after the copy. A run that is
-- interrupted in between finds them here and builds them before anything else.
INSERT INTO replkit.deferred_indexes (index, "table", definition)
SELECT index, "table", definition FROM json_to_recordset($1::text::json) AS d(index text, "table" text, definition text)
    ON CONFLICT (index) DO NOTHING;
