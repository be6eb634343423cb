// make check --diff TABLE: the keys whose rows differ, compared at an LSN on every replica that
// could be read. A replica whose rows were not read (down, too slow, or the comparison failed)
// is "not compared" with the reason — never counted as equal.
import { type TableCompare, compareTable } from '../compare/at-lsn.js'
import type { ClusterFacts } from './facts.js'
import type { TriedNode } from '../node.js'
import { compareError, compareNodes } from './settle.js'
import { notNarrowed } from '../compare/tally.js'
import { onReplica, tableSums } from './fingerprint.js'

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

/**
 * The diffed table's checksums, which were not read with the others (only that it exists and can
 * be read): each node's rows and sum as the comparison read them at an LSN, so the table is read
 * once, not twice; a node it did not read (the comparison failed) is summed as every other table is.
 */
export async function sumDiffedTable(
  facts: ClusterFacts,
  nodes: TriedNode[],
  table: string,
  compare: TableCompare | null,
): Promise<void> {
  await Promise.all(
    [facts.primary, ...facts.replicas].map(async (node, i) => {
      const at = node.tables.findIndex(t => t.table === table)
      if (at < 0 || !node.tables[at].exists) return
      const total = compare?.totals?.[node.name]
      const sql = nodes[i].sql
      const parts = i === 0 ? facts.publishedParts : onReplica(facts.publishedParts)
      const [sum] = total
        ? [{ table, exists: true, rows: total.rows, checksum: total.checksum }]
        : sql && node.server?.hasFingerprint
          ? await tableSums(sql, [table], parts).catch(() => [])
          : []
      // Never left without a checksum: a null one would read as equal to the PRIMARY's null.
      if (sum) node.tables[at] = sum
      else node.tables.splice(at, 1)
    }),
  )
}
