// The end-to-end lag figure: insert a heartbeat product on the PRIMARY and time its arrival on
// every replica on this one client clock, so no clock skew between servers enters the figure.
// The canary is deleted afterwards (the delete replicates too); its sku prefix is reserved.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TriedNode } from '../node.js'
import type { CanaryArrival, CanaryFacts } from './verdicts.js'
import type { Sql } from '../db.js'

export const CANARY_PREFIX = 'REPLKIT-CANARY-'
const POLL_MS = 2

/** Inserts a canary product (any category will do); its id, or null when there is no category. */
export async function insertCanaryProduct(primary: Sql, sku: string, title: string): Promise<string | null> {
  const [row] = await primary`
    insert into public.products (sku, title, price, stock, category_id)
    select ${sku}, ${title}, 0, 0, id from public.categories order by slug limit 1 returning id`
  return row?.id ?? null
}

/** Polls until the row's presence matches `present`; the elapsed ms since `since`, or null at the deadline. */
async function waitForRow(
  sql: Sql,
  sku: string,
  present: boolean,
  since: number,
  deadline: number,
): Promise<number | null> {
  for (;;) {
    const [{ found }] = await sql`select exists (select from public.products where sku = ${sku}) as found`
    const now = performance.now()
    if (found === present) return now - since
    if (now > deadline) return null
    await sleep(POLL_MS)
  }
}

/**
 * Runs the canary on the replicas given (those that are up and subscribed); the others are
 * reported as skipped with the reason. Waits for the delete to arrive too, so no canary stays.
 */
export async function runCanary(
  primary: Sql,
  replicas: TriedNode[],
  skipped: CanaryArrival[],
  timeoutMs: number,
): Promise<CanaryFacts> {
  const sku = `${CANARY_PREFIX}${randomUUID()}`
  const id = await insertCanaryProduct(primary, sku, 'replkit canary: deleted by make check')
  if (!id)
    return {
      sku: null,
      timeoutMs,
      arrivals: skipped,
      error: 'the PRIMARY has no category to attach a canary product to',
    }
  const committed = performance.now()
  try {
    const times = await Promise.all(replicas.map(r => waitForRow(r.sql!, sku, true, committed, committed + timeoutMs)))
    const arrivals = replicas.map(
      (r, i): CanaryArrival => ({
        replica: r.spec.name,
        status: times[i] === null ? 'late' : 'arrived',
        ms: times[i],
        reason: null,
      }),
    )
    return { sku, timeoutMs, arrivals: [...arrivals, ...skipped], error: null }
  } finally {
    await primary`delete from public.products where id = ${id}`
    const removed = performance.now()
    await Promise.all(replicas.map(r => waitForRow(r.sql!, sku, false, removed, removed + timeoutMs)))
  }
}
