-- REPLICA: one subscription's options that depend on the version (make replicate converges
-- them). substream is a boolean on 15, a char on 16+ (f, t, p); a line ending in "since N"
-- reads a column PostgreSQL N added (sql-files.ts forMajor).
SELECT subenabled AS enabled,
       subconninfo AS conninfo,
       subslotname AS slot_name,
       substream::text AS streaming,
       suborigin AS origin,                 -- since 16
       subfailover AS failover,             -- since 17
       subbinary AS binary
  FROM pg_subscription
 WHERE subname = $1;
