// Equality of replicas with the PRIMARY, proven with in-database checksums while the PRIMARY may
// keep taking writes, and reported the same way by every command that repairs a replica.
import { fingerprints, sameFingerprint } from '../checks/fingerprint.js'
import type { Sql } from '../db.js'
import { waitForCatchup } from '../replication/waits.js'
import type { Steps } from '../steps.js'

export interface Equality {
  /** table → replica names whose row count and checksum equal the PRIMARY's */
  equal: Record<string, string[]>
  differ: { table: string; node: string; primary: string; replica: string }[]
  /** Tables the PRIMARY kept changing through every attempt: not compared. */
  unsettled: string[]
}

/**
 * Proves equality with in-database checksums (replkit.table_fingerprint). Under live writes a
 * replica is always a little behind, so a table is compared only when the PRIMARY's fingerprint
 * is the same before the catch-up wait and after the replicas were read: the replicas then hold
 * exactly the PRIMARY's content. A table that never holds still is reported unsettled, not equal.
 */
export async function compareWithPrimary(
  primary: Sql, replicas: { name: string; sql: Sql }[], subscriptions: string[], tables: string[], timeoutMs: number, attempts = 3,
): Promise<Equality> {
  const result: Equality = { equal: {}, differ: [], unsettled: [] }
  let pending = tables
  for (let i = 0; i < attempts && pending.length; i++) {
    const before = await fingerprints(primary, pending)
    await waitForCatchup(primary, subscriptions, timeoutMs)
    const seen = await Promise.all(replicas.map(r => fingerprints(r.sql, pending)))
    const after = await fingerprints(primary, pending)
    const settled = pending.filter(t => sameFingerprint(before[t], after[t]))
    for (const table of settled) {
      result.equal[table] = []
      replicas.forEach((r, k) => {
        if (sameFingerprint(after[table], seen[k][table])) result.equal[table].push(r.name)
        else result.differ.push({ table, node: r.name, primary: `${after[table].row_count} rows`, replica: `${seen[k][table]?.row_count ?? '?'} rows` })
      })
    }
    pending = pending.filter(t => !settled.includes(t))
  }
  result.unsettled = pending
  return result
}

/** One replica's equality as ✓/✗/! steps. */
export function reportEquality(steps: Steps, replica: string, eq: Equality): void {
  const equal = Object.keys(eq.equal).filter(t => eq.equal[t].includes(replica))
  if (equal.length) steps.verify(`${replica}: checksums equal the PRIMARY's for ${equal.join(', ')}`)
  for (const d of eq.differ.filter(x => x.node === replica)) {
    steps.fail(`${replica}: ${d.table} differs from the PRIMARY (${d.replica} vs ${d.primary}); see make check ARGS="--diff ${d.table}"`)
  }
  if (eq.unsettled.length) steps.warn(`${replica}: ${eq.unsettled.join(', ')} not compared — the PRIMARY kept changing them; run make check at a quiet moment`)
}
