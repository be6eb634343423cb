// Equality of replicas with the PRIMARY while the PRIMARY may keep taking writes, proven table by
// table at an LSN each replica reached (compare/at-lsn.ts), and reported the same way by every
// command that repairs a replica.
import { compareTable } from '../compare/at-lsn.js'
import type { OpenNode } from '../node.js'
import type { Steps } from '../steps.js'

export interface Equality {
  /** table → replica names whose rows equal the PRIMARY's */
  equal: Record<string, string[]>
  differ: { table: string; node: string; blocks: number }[]
  /** table → replica names where rows kept changing in every round: neither equal nor proven different. */
  unsettled: Record<string, string[]>
  /** table → rounds the comparison needed. */
  rounds: Record<string, number>
}

/** Every table compared on every replica (each with the subscription it streams through). */
export async function compareWithPrimary(
  primary: OpenNode,
  replicas: OpenNode[],
  tables: string[],
  timeoutMs: number,
  publication?: string,
): Promise<Equality> {
  const result: Equality = { equal: {}, differ: [], unsettled: {}, rounds: {} }
  for (const table of tables) {
    const compared = await compareTable(primary, replicas, table, { rows: false, timeoutMs, publication })
    result.rounds[table] = compared.rounds
    result.equal[table] = compared.replicas.filter(r => r.state === 'equal').map(r => r.name)
    const unsettled = compared.replicas.filter(r => r.state === 'unsettled').map(r => r.name)
    if (unsettled.length) result.unsettled[table] = unsettled
    for (const r of compared.replicas.filter(v => v.state === 'differs'))
      result.differ.push({ table, node: r.name, blocks: r.differingBlocks })
  }
  return result
}

/** One replica's equality as ✓/✗/! steps. */
export function reportEquality(steps: Steps, replica: string, eq: Equality): void {
  const equal = Object.keys(eq.equal).filter(t => eq.equal[t].includes(replica))
  const rounds = Math.max(0, ...equal.map(t => eq.rounds[t]))
  if (equal.length)
    steps.verify(
      `${replica}: rows equal the PRIMARY's for ${equal.join(', ')} (compared at an LSN it reached; ${rounds} round${rounds === 1 ? '' : 's'} at most)`,
    )
  for (const d of eq.differ.filter(x => x.node === replica)) {
    steps.fail(
      `${replica}: ${d.table} differs from the PRIMARY (${d.blocks} block${d.blocks === 1 ? '' : 's'} of ~150 rows); see make check ARGS="--diff ${d.table}"`,
    )
  }
  const unsettled = Object.keys(eq.unsettled).filter(t => eq.unsettled[t].includes(replica))
  if (unsettled.length)
    steps.warn(
      `${replica}: ${unsettled.join(', ')} still being written in every round: not compared; make check compares them again`,
    )
}
