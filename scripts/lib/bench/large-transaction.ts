// One large transaction on the PRIMARY (the bench section "large transaction"): N order rows in
// a single INSERT, timed from its commit to every replica having applied it. With 5 s
// sender/receiver timeouts a 500k-row transaction used to be resent ~33 times (6.5 min); with
// PostgreSQL's timeouts and streaming = on it is applied once.
import type { Config } from '../config.js'
import { withNode } from '../db.js'
import { subscriptionName } from '../replication/names.js'
import { waitForCatchup } from '../replication/waits.js'

export interface LargeTransaction {
  rows: number
  insertSeconds: number
  /** Commit on the PRIMARY → every replica has replayed past it. */
  appliedSeconds: number
  walBytes: number
}

const EMAIL = 'replkit-bench-large@replkit.test'

export async function largeTransactionBench(config: Config, rows: number): Promise<LargeTransaction> {
  return withNode(
    config.primary,
    async sql => {
      const subscriptions = config.replicas.map(subscriptionName)
      try {
        const [{ start }] = await sql`select pg_current_wal_lsn()::text as start`
        const t0 = performance.now()
        await sql`insert into public.orders (customer_email, total) select ${EMAIL}, g % 100 from generate_series(1, ${rows}) g`
        const committed = performance.now()
        const [{ bytes }] = await sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${start}::pg_lsn)::int8 as bytes`
        await waitForCatchup(sql, subscriptions, 600_000)
        return {
          rows,
          insertSeconds: (committed - t0) / 1000,
          appliedSeconds: (performance.now() - committed) / 1000,
          walBytes: Number(bytes),
        }
      } finally {
        await sql`delete from public.orders where customer_email = ${EMAIL}`
        await waitForCatchup(sql, subscriptions, 600_000)
      }
    },
    { statementTimeoutMs: 0 },
  )
}
