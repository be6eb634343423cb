// make check's second look at tables whose checksums differed when first read: under live writes
// a replica is always a little behind, so each such table is compared again at an LSN every
// replica provably reached (compare/at-lsn.ts), and only a difference that holds still is one.
import { opened } from '../node.js'
import { type TableCompare, compareTable } from '../compare/at-lsn.js'
import type { OpenNode } from '../node.js'
import type { ClusterFacts } from './facts.js'
import type { TriedNode } from '../node.js'
import { applyingLong, compareTables, replicaLags, waitedFor } from './figures.js'
import { describeDbError } from '../db.js'

/** The PRIMARY and the given replicas as the comparison reaches them; only streaming replicas are waited for. */
export function compareNodes(
  facts: ClusterFacts,
  nodes: TriedNode[],
  replicaNames: string[],
): { primary: OpenNode; replicas: OpenNode[] } {
  const lags = replicaLags(facts)
  const [p, ...rest] = nodes
  return {
    primary: opened(p.spec, p.sql!),
    replicas: rest
      .filter(n => n.sql && replicaNames.includes(n.spec.name))
      .map(n => {
        const lag = lags.find(l => l.replica === n.spec.name)
        return {
          name: n.spec.name,
          sql: n.sql!,
          spec: n.spec,
          subscription: waitedFor(facts, n.spec.name, lag) ? lag!.subscription : null,
        }
      }),
  }
}

/** Why a comparison did not finish: replkit's own message, or the database error as one line naming the node. */
export const compareError = (primary: TriedNode, error: unknown): string =>
  error instanceof Error && !('code' in error) ? error.message : describeDbError(primary.spec, error)

export interface Settled {
  compared: Record<string, TableCompare>
  /** table → why it could not be compared again (it keeps its first-read state). */
  errors: Record<string, string>
}

/** settled: a table already compared at an LSN (by --diff), left out. */
export async function settleComparisons(
  facts: ClusterFacts,
  nodes: TriedNode[],
  timeoutMs: number,
  settled?: string,
): Promise<Settled> {
  const out: Settled = { compared: {}, errors: {} }
  if (!nodes[0].sql) return out
  // A replica in the middle of one large transaction reaches no LSN before it commits: it stays "applying".
  const busy = replicaLags(facts)
    .filter(applyingLong)
    .map(l => l.replica)
  for (const { table, cells } of compareTables(facts).filter(t => t.table !== settled)) {
    const unsettled = cells
      .filter(c => (c.state === 'applying' || c.state === 'differs') && !busy.includes(c.node))
      .map(c => c.node)
    if (!unsettled.length) continue
    const { primary, replicas } = compareNodes(facts, nodes, unsettled)
    try {
      out.compared[table] = await compareTable(primary, replicas, table, {
        rows: false,
        timeoutMs,
        publication: facts.publication,
      })
    } catch (error) {
      out.errors[table] = compareError(nodes[0], error)
    }
  }
  return out
}
