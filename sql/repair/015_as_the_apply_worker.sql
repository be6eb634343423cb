-- make repair, on the replica, at the start of each batch's transaction: no trigger fires and no
-- foreign key is checked, as when the apply worker writes (the PRIMARY checked them); and the
-- batch waits at most this long for a row lock the apply worker holds. Literals are standard.
SET LOCAL session_replication_role = replica;
SET LOCAL standard_conforming_strings = on;
SET LOCAL lock_timeout = '10s';
