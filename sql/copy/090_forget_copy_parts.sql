-- Replica: the copy through slot $1 is over (its subscription took the slot, or it was emptied).
DELETE FROM replkit.copy_parts WHERE slot = $1;
