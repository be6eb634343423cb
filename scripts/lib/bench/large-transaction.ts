// One large transaction on the PRIMARY (the bench section "large transaction"): N order rows in
// a single INSERT, timed from its commit to every replica having applied it. With 5 s
// sender/receiver timeouts a 500k-row transaction used to be resent ~33 times (6.5 min); with
// PostgreSQL's timeouts and streaming = on it is applied once. Then the same on a pair of its own
// running PostgreSQL 17, where replkit subscribes with streaming = parallel. And twice as many
// products in one INSERT on the checkout's cluster: wider rows, three indexes and a foreign key.
import { type Config, loadConfig } from '../config.js'
import { type Sql, withNode } from '../db.js'
import { subscriptionName } from '../replication/names.js'
import { existingSubscription } from '../replication/options.js'
import { waitForCatchup } from '../replication/waits.js'
import { timedReplkit, withOwnCluster } from './own-cluster.js'

/** The 16+ pair: its major and the PRIMARY's port (its replicas on the next two). */
const PAIR = { major: 17, port: 56780 }

export interface LargeTransaction {
  rows: number
  insertSeconds: number
  /** Commit on the PRIMARY → every replica has replayed past it. */
  appliedSeconds: number
  walBytes: number
  /** The same on the 16+ pair; absent from reports made before it was measured. */
  pair?: LargeTransactionPair
  /** PRODUCTS_PER_ORDER_ROW times as many products in one INSERT; absent from reports made before it was measured. */
  products?: OneTransaction
}

export type OneTransaction = Omit<LargeTransaction, 'pair' | 'products'>

export type LargeTransactionPair = OneTransaction & {
  major: number
  /** The subscriptions' streaming option as replkit chose it there. */
  streaming: string
}

/** The section: on the checkout's cluster, then on the 16+ pair. */
export async function largeTransactionSection(
  config: Config,
  rows: number,
  say: (text: string) => void,
): Promise<LargeTransaction> {
  const here = await largeTransactionBench(config, rows, ORDERS)
  say(`  ${(rows * PRODUCTS_PER_ORDER_ROW).toLocaleString('en-US')} products in one INSERT ...`)
  const products = await largeTransactionBench(config, rows * PRODUCTS_PER_ORDER_ROW, PRODUCTS)
  say(`  the same orders on a PostgreSQL ${PAIR.major} PRIMARY and 2 replicas of their own ...`)
  return { ...here, products, pair: await largeTransactionOnPair(rows) }
}

/** Issue 31: one 2,000,000-row INSERT into products at the default 1,000,000. */
export const PRODUCTS_PER_ORDER_ROW = 2

async function largeTransactionOnPair(rows: number): Promise<LargeTransactionPair> {
  const pair = { name: `pg${PAIR.major}-pair`, replicas: 2, port: PAIR.port, versions: String(PAIR.major) }
  return withOwnCluster(pair, async env => {
    await timedReplkit(env, ['replicate', '--restart-primary'])
    const config = loadConfig(env)
    const [replica] = config.replicas
    const subscription = await withNode(replica, sql => existingSubscription(sql, subscriptionName(replica)))
    const streaming = subscription!.options.streaming
    return { ...(await largeTransactionBench(config, rows, ORDERS)), major: PAIR.major, streaming }
  })
}

const EMAIL = 'replkit-bench-large@replkit.test'
const SKU = 'BENCH-LARGE-'

/** What the one transaction inserts, and how its rows are removed after. */
interface LargeInsert {
  insert: (sql: Sql, rows: number) => Promise<unknown>
  remove: (sql: Sql) => Promise<unknown>
}

const ORDERS: LargeInsert = {
  insert: (sql, rows) =>
    sql`insert into public.orders (customer_email, total) select ${EMAIL}, g % 100 from generate_series(1, ${rows}) g`,
  remove: sql => sql`delete from public.orders where customer_email = ${EMAIL}`,
}

const PRODUCTS: LargeInsert = {
  insert: (sql, rows) =>
    sql`insert into public.products (sku, title, description, price, category_id)
        select ${SKU} || g, 'Large transaction product ' || g, 'One of many in one INSERT', g % 1000,
               (select min(id::text)::uuid from public.categories)
          from generate_series(1, ${rows}) g`,
  remove: sql => sql`delete from public.products where sku like ${`${SKU}%`}`,
}

export async function largeTransactionBench(config: Config, rows: number, what: LargeInsert): Promise<OneTransaction> {
  return withNode(
    config.primary,
    async sql => {
      const subscriptions = config.replicas.map(subscriptionName)
      try {
        const [{ start }] = await sql`select pg_current_wal_lsn()::text as start`
        const t0 = performance.now()
        await what.insert(sql, rows)
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
        await what.remove(sql)
        await waitForCatchup(sql, subscriptions, 600_000)
      }
    },
    { statementTimeoutMs: 0 },
  )
}
