// make check --diff TABLE: the keys whose rows differ, compared at an LSN on every replica that
// could be read. A replica whose rows were not read (down, too slow, or the comparison failed)
// is "not compared" with the reason — never counted as equal.
import { type TableCompare, compareTable } from '../compare/at-lsn.js'
import type { ClusterFacts } from './facts.js'
import type { TriedNode } from '../node.js'
import { compareError, compareNodes } from './settle.js'
import { notNarrowed } from '../compare/tally.js'

export interface DiffResult {
  compare: TableCompare | null
  /** replica → why its rows were not compared. */
  notCompared: Record<string, string>
}

export async function diffTable(
  facts: ClusterFacts,
  nodes: TriedNode[],
  table: string,
  timeoutMs: number,
): Promise<DiffResult> {
  const notCompared: Record<string, string> = {}
  if (!facts.primary.up || !nodes[0].sql) {
    for (const r of facts.replicas) notCompared[r.name] = `the PRIMARY could not be read (${facts.primary.error})`
    return { compare: null, notCompared }
  }
  for (const r of facts.replicas.filter(r => !r.up)) notCompared[r.name] = `not read (${r.error})`
  const readable = facts.replicas.filter(r => r.up).map(r => r.name)
  if (!readable.length) return { compare: null, notCompared }
  const { primary, replicas } = compareNodes(facts, nodes, readable)
  try {
    const compare = await compareTable(primary, replicas, table, {
      rows: true,
      timeoutMs,
      publication: facts.publication,
    })
    if (notNarrowed(compare))
      for (const r of compare.replicas.filter(r => r.state !== 'equal'))
        notCompared[r.name] =
          `its differing blocks (${compare.tooManyRows} rows) were not narrowed to keys within ${compare.rounds} rounds: the table kept changing under the comparison; run it again`
    return { compare, notCompared }
  } catch (error) {
    const why = compareError(nodes[0], error)
    for (const name of readable) notCompared[name] = `the comparison did not finish: ${why}`
    return { compare: null, notCompared }
  }
}
