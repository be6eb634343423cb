// What make verify needs besides pg_prove: the PRIMARY's figures for cross-node suites, canary
// rows, and a pgbench load. Canary skus start REPLKIT-CANARY- (the seed refuses that prefix).
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { $ } from 'zx'
import { type Config, type NodeSpec, repoRoot } from '../config.js'
import type { Sql } from '../db.js'
import { CANARY_PREFIX, insertCanaryProduct } from './canary.js'
import { clientEnv } from '../libpq.js'

export const LOAD_EMAIL = 'replkit-load@replkit.test'

/** The corrected runbook verification queries' results, as JSON text for pg_prove --set. */
export async function verificationResults(sql: Sql): Promise<{ rowCounts: string; sample: string }> {
  const [{ counts }] = await sql`select to_jsonb(c)::text as counts from replkit.row_counts c`
  const [{ sample }] = await sql`select jsonb_agg(to_jsonb(s))::text as sample from replkit.sample_products s`
  return { rowCounts: counts, sample }
}

/** Inserts one canary product on the PRIMARY; returns its sku and the PRIMARY's own arrival stamp. */
export async function insertCanary(sql: Sql, label: string): Promise<{ sku: string; insertedAt: string }> {
  const sku = `${CANARY_PREFIX}${label}-${randomUUID().slice(0, 8)}`
  await insertCanaryProduct(sql, sku, 'replkit canary: deleted by make verify')
  const [{ at }] = await sql`select arrived_at::text as at from replkit.canary_arrivals where sku = ${sku}`
  return { sku, insertedAt: at }
}

/** Removes canaries and load rows on the PRIMARY (the deletes replicate) and arrival stamps on every node. */
export async function cleanUp(primary: Sql, everyNode: Sql[]): Promise<void> {
  await primary`delete from public.products where sku like ${`${CANARY_PREFIX}%`}`
  await primary`delete from public.orders where customer_email = ${LOAD_EMAIL}`
  await Promise.all(everyNode.map(sql => sql`delete from replkit.canary_arrivals`))
}

export interface LoadResult {
  transactions: number
  tps: number
}

/** pgbench inserting orders on the PRIMARY at a fixed rate, for a fixed time. */
export async function runLoad(config: Config, seconds: number, rate: number): Promise<LoadResult> {
  const node: NodeSpec = config.primary
  const args = [
    '-n',
    '-f',
    join(repoRoot, 'sql/load/orders.pgbench'),
    '-R',
    String(rate),
    '-T',
    String(seconds),
    '-c',
    '4',
    '-j',
    '2',
  ]
  const out = await $({ env: clientEnv(node), quiet: true })`pgbench ${args}`
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out.stdout)?.[1] ?? 0)
  const tps = Number(/tps = ([\d.]+)/.exec(out.stdout)?.[1] ?? 0)
  return { transactions, tps }
}

/** Inserts a canary every intervalMs until stop() resolves; returns {sku: PRIMARY arrival}. */
export function sampleCanaries(sql: Sql, runId: string, intervalMs: number) {
  const arrivals: Record<string, string> = {}
  let running = true
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const { sku, insertedAt } = await insertCanary(sql, `lag-${runId}-${i}`)
      arrivals[sku] = insertedAt
      await new Promise(resolve => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return arrivals
    },
  }
}
