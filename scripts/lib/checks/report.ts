// make check's report: the facts it read, the figures derived from them and the verdicts, as one
// object — what the tables, --json, Nagios and the exporter all print from.
import type { TableCompare } from '../compare/at-lsn.js'
import type { ClusterFacts } from './facts.js'
import {
  type CanaryFacts,
  type Lag,
  type Status,
  type TableComparison,
  type Thresholds,
  type Verdict,
  compareTables,
  exitCode,
  notes,
  replicaLags,
  status,
  verdicts,
} from './verdicts.js'

/** The version of --json's shape (docs/schema/check.schema.json): fields are added, never renamed or removed, within it. */
export const REPORT_VERSION = 1

export interface CheckReport {
  version: typeof REPORT_VERSION
  status: Status
  exitCode: number
  elapsedMs: number
  thresholds: Thresholds
  facts: ClusterFacts
  lag: Lag[]
  consistency: TableComparison[]
  canary: CanaryFacts | null
  diff: TableCompare | null
  verdicts: Verdict[]
  /** Not problems: past errors that no longer block, sequences behind (see notes()). */
  notes: string[]
}

export function buildReport(
  facts: ClusterFacts,
  thresholds: Thresholds,
  canary: CanaryFacts | null,
  diff: TableCompare | null,
  elapsedMs: number,
): CheckReport {
  const found = verdicts(facts, thresholds, canary)
  return {
    version: REPORT_VERSION,
    status: status(found),
    exitCode: exitCode(found),
    elapsedMs,
    thresholds,
    facts,
    lag: replicaLags(facts),
    consistency: compareTables(facts),
    canary,
    diff,
    verdicts: found,
    notes: notes(facts),
  }
}
