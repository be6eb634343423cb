// make check as one library call: gather every node's facts, optionally diff a table and time a
// canary, judge. The script prints the report; drills and the exporter call this in process.
import { type Config, allNodes, replicatedTable } from '../config.js'
import { fromCatalogues } from '../replication/roles.js'
import type { ServerAccess } from '../server-access.js'
import { runCanary } from './canary.js'
import { gatherFacts } from './facts.js'
import { type TriedNode, closeAll, tryOpenAll } from '../node.js'
import { type CheckReport, buildReport } from './report.js'
import { diffTable, sumDiffedTable } from './diff.js'
import { settleComparisons } from './settle.js'
import { type CanaryArrival, type Thresholds, subscriptionOf } from './verdicts.js'

export interface CheckOptions {
  thresholds: Thresholds
  connectTimeoutSeconds: number
  statementTimeoutMs: number
  canary?: { timeoutMs: number }
  diff?: string
  /** What each statement and wait of --diff's comparison at an LSN may take (a whole-table scan); default statementTimeoutMs. */
  compareTimeoutMs?: number
  /** false: no table checksums (the exporter compares on its own interval, not on every scrape). */
  checksums?: boolean
  /** Connections kept by the caller (the exporter, between scrapes); opened and closed here when absent. */
  nodes?: TriedNode[]
  /** What replkit may read of the servers besides SQL: the log files of those it runs. */
  servers: ServerAccess
}

export const DEFAULT_CHECK: Omit<CheckOptions, 'servers'> = {
  thresholds: {
    maxLagBytes: 16 * 1024 * 1024,
    criticalLagBytes: 1024 * 1024 * 1024,
    maxRetainedBytes: 1024 * 1024 * 1024,
  },
  connectTimeoutSeconds: 3,
  statementTimeoutMs: 15_000,
}

export async function runCheck(configured: Config, opts: CheckOptions): Promise<CheckReport> {
  const started = performance.now()
  let config = configured
  const diffTableName = opts.diff === undefined ? undefined : replicatedTable(config, opts.diff, '--diff')
  const opened =
    opts.nodes ??
    (await tryOpenAll(allNodes(config), {
      connectTimeoutSeconds: opts.connectTimeoutSeconds,
      statementTimeoutMs: opts.statementTimeoutMs,
    }))
  try {
    // Roles and each schema.*'s tables from the catalogues: after a switchover the PRIMARY_URL node may be a replica.
    if (opened[0].sql) config = await fromCatalogues(config, opened[0].sql)
    // A table of a schema.* is known to exist once the schema is read.
    if (diffTableName !== undefined && opened[0].sql) replicatedTable(config, diffTableName, '--diff')
    const nodes = allNodes(config).map(spec => ({ ...opened.find(n => n.spec.name === spec.name)!, spec }))
    const checksums = opts.checksums ?? true
    const facts = await gatherFacts(config, nodes, opts.servers, checksums, diffTableName)
    // The diff and the canary come after the checksums, so the canary never shows up as a mismatch.
    let diff = null
    if (diffTableName !== undefined) {
      const result = await diffTable(facts, nodes, diffTableName, opts.compareTimeoutMs ?? opts.statementTimeoutMs)
      diff = result.compare
      facts.diffNotCompared = result.notCompared
      if (checksums) await sumDiffedTable(facts, nodes, diffTableName, diff)
    }
    if (checksums) {
      // The diff's comparison at an LSN also settles its table's checksums: one full read of it, not two.
      const settled = await settleComparisons(facts, nodes, opts.statementTimeoutMs, diff?.table)
      facts.compared = diff ? { ...settled.compared, [diff.table]: diff } : settled.compared
      facts.compareErrors = settled.errors
    }
    let canary = null
    if (opts.canary && nodes[0].sql) {
      const skipped: CanaryArrival[] = []
      const subscribed = nodes.slice(1).filter((node, i) => {
        const reason = !node.sql ? 'node down' : !subscriptionOf(facts.replicas[i]) ? 'no subscription' : null
        if (reason) skipped.push({ replica: node.spec.name, status: 'skipped', ms: null, reason })
        return reason === null
      })
      canary = await runCanary(nodes[0].sql, subscribed, skipped, opts.canary.timeoutMs)
    }
    return buildReport(facts, opts.thresholds, canary, diff, performance.now() - started)
  } finally {
    if (!opts.nodes) await closeAll(opened)
  }
}
