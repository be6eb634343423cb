-- compare, on the PRIMARY, first statement of its REPEATABLE READ transaction: the snapshot the
-- hashes are read in is taken here, so every transaction it sees ends at or before this LSN; a
-- replica that has applied past it holds at least what the snapshot holds. The WAL insert
-- position, not the write position (a synchronous_commit = off commit is visible before it is
-- written), moved back over a page header when it points just past one: a walsender reports the
-- end of the last record, which is then the page boundary, and would never seem to reach it.
SELECT CASE WHEN (p - '0/0'::pg_lsn) % s.bytes = 40 THEN p - 40
            WHEN (p - '0/0'::pg_lsn) % 8192 = 24 THEN p - 24
            ELSE p END::text AS lsn
  FROM pg_current_wal_insert_lsn() AS p,
       (SELECT setting::numeric AS bytes FROM pg_settings WHERE name = 'wal_segment_size') AS s;
