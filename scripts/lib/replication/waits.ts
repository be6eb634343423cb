// Waits on replication, each failing with the catalogue state that explains a timeout.
import type { Sql } from '../db.js'
import { checkQuery } from '../sql-files.js'
import { waitFor } from '../wait.js'
import { READY_STATES, senderDiagnostics, subscriptionDiagnostics, tableStates } from './catalog.js'

/** Every table of the subscription ready (r) or synchronised (s); throws with its catalogue rows. */
export async function waitForSync(
  sql: Sql,
  subscription: string,
  timeoutMs: number,
  what = `the initial copy of ${subscription}`,
): Promise<void> {
  await waitFor({
    what,
    timeoutMs,
    until: async () => {
      const states = await tableStates(sql, subscription)
      return states.length > 0 && states.every(s => READY_STATES.has(s.state)) ? true : undefined
    },
    state: () => subscriptionDiagnostics(sql, subscription),
  })
}

/**
 * PostgreSQL::Test::Cluster's wait_for_catchup: take the PRIMARY's current LSN, then wait until
 * each subscription's walsender has replayed past it. Throws with the walsenders and slots.
 */
export async function waitForCatchup(primary: Sql, subscriptions: string[], timeoutMs: number): Promise<void> {
  const [{ target }] = await primary`select pg_current_wal_lsn()::text as target`
  await waitForReplayPast(primary, subscriptions, target, timeoutMs)
}

/**
 * Caught up and applied: every subscription's walsender replayed past the PRIMARY's current LSN,
 * and then no apply worker of it holds a transaction open on its replica. With streaming (or a
 * worker waiting on a lock) the walsender's position counts changes received and spooled, not
 * committed on the replica; only the worker's open transaction tells them apart.
 */
export async function waitForApplied(
  primary: Sql,
  replicas: { sql: Sql; subscription: string }[],
  timeoutMs: number,
): Promise<void> {
  const started = Date.now()
  await waitForCatchup(
    primary,
    replicas.map(r => r.subscription),
    timeoutMs,
  )
  await waitForNoOpenApply(primary, replicas, Math.max(1000, timeoutMs - (Date.now() - started)))
}

/**
 * Once a walsender has replayed past an LSN, the apply worker has read every change up to it; a
 * moment with no apply transaction open on the replica then means all of them are committed there.
 */
export async function waitForNoOpenApply(
  primary: Sql,
  replicas: { sql: Sql; subscription: string }[],
  timeoutMs: number,
  intervalMs = 10,
): Promise<void> {
  if (!replicas.length) return
  // Each replica needs one such moment after the replay (under writes, they need not coincide).
  const pending = new Set(replicas)
  await waitFor({
    what: `${replicas.map(r => r.subscription).join(', ')} to commit the transactions they are applying`,
    timeoutMs,
    intervalMs,
    until: async () => {
      await Promise.all(
        [...pending].map(async r => {
          const [{ n }] = await checkQuery(r.sql, 'apply_open.sql', [r.subscription])
          if (n === 0) pending.delete(r)
        }),
      )
      return pending.size === 0 ? true : undefined
    },
    state: async () =>
      senderDiagnostics(
        primary,
        replicas.map(r => r.subscription),
      ),
  })
}

/**
 * Until each subscription has applied the PRIMARY's WAL up to target: its walsender's replay_lsn
 * is what the apply worker reported as applied (committed there), or, with nothing left to
 * apply, as received. Throws with the walsenders and slots.
 */
export async function waitForReplayPast(
  primary: Sql,
  subscriptions: string[],
  target: string,
  timeoutMs: number,
  intervalMs = 20,
): Promise<void> {
  if (!subscriptions.length) return
  let behind = subscriptions
  await waitFor({
    // Read at the deadline: names only the subscriptions still behind then.
    get what() {
      return `${behind.join(', ')} to replay the PRIMARY's LSN ${target}`
    },
    timeoutMs,
    intervalMs,
    until: async () => {
      const rows = await primary`
        select application_name from pg_stat_replication
        where application_name = any(${subscriptions}) and replay_lsn >= ${target}::pg_lsn`
      const arrived = new Set(rows.map(r => r.application_name as string))
      behind = subscriptions.filter(s => !arrived.has(s))
      return behind.length === 0 ? true : undefined
    },
    state: () => senderDiagnostics(primary, subscriptions),
  })
}
