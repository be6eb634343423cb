// New replicas' copies share the PRIMARY's walsenders (max_wal_senders, sized for the steady
// state: one per replica and two spare). A copy in flight holds two of them at its peak: its
// snapshot's replication session, and CREATE SUBSCRIPTION's own replication connection (then its
// apply worker); a copy done keeps one. Ten copies at once asked for twenty of twelve and
// CREATE SUBSCRIPTION failed ("number of requested standby connections exceeds max_wal_senders"),
// so the copies run as many at a time as the walsenders left allow.
import type { Sql } from '../db.js'

/**
 * How many of `copies` may run at once: with k in flight and the others done, the PRIMARY holds
 * `inUse` + copies + k walsenders at most. At least one: past that the server's own error says why.
 */
export function copiesWithin(maxWalSenders: number, inUse: number, copies: number): number {
  return Math.max(1, Math.min(copies, maxWalSenders - inUse - copies))
}

/** The PRIMARY's max_wal_senders and the walsenders running now. */
export async function walSenderUse(primary: Sql): Promise<{ max: number; used: number }> {
  const [row] = await primary`
    select current_setting('max_wal_senders')::int as max,
           (select count(*) from pg_stat_activity where backend_type = 'walsender')::int as used`
  return row as { max: number; used: number }
}

/** copiesWithin for the PRIMARY as it is now. */
export async function copiesAtOnce(primary: Sql, copies: number): Promise<number> {
  const { max, used } = await walSenderUse(primary)
  return copiesWithin(max, used, copies)
}
