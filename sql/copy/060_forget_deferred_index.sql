-- Replica: an index that 050 built again (or that exists again) needs no saved definition.
DELETE FROM replkit.deferred_indexes WHERE index = $1;
