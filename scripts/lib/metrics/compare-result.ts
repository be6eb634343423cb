// The exporter's checksum compare, kept between scrapes (it runs on its own interval): each
// replica's table equal to the PRIMARY's or not, and the verdicts only a checksum can give, which
// replkit_verdicts counts too so the ReplkitCheck* alerts fire for what make check reports.
import type { CheckReport } from '../checks/report.js'
import type { Verdict } from '../checks/figures.js'

/** The last checksum compare of each table on each replica, kept between scrapes. */
export interface CompareResult {
  at: number
  /** table → replica → 1 equal to the PRIMARY, 0 differs; absent when it could not be compared. */
  tables: Record<string, Record<string, 0 | 1>>
  /** Its verdicts that only a checksum finds (a scrape reads none): counted in replkit_verdicts too. */
  verdicts: Verdict[]
}

/** Verdicts only the checksum compare can give. */
const CHECKSUM_CODES: ReadonlySet<string> = new Set([
  'TABLE_DIFFERS',
  'TABLE_DIFFERS_SKIPPED_CHANGES',
  'TABLE_NOT_PROVEN',
])

/** The compare result of one full check: each replica's table, equal to the PRIMARY's or not. */
export function compareResult(report: CheckReport): CompareResult {
  const tables: CompareResult['tables'] = {}
  for (const { table, cells } of report.consistency) {
    for (const cell of cells.filter(c => c.state === 'match' || c.state === 'differs')) {
      tables[table] ??= {}
      tables[table][cell.node] = cell.state === 'match' ? 1 : 0
    }
  }
  return { at: Date.now(), tables, verdicts: report.verdicts.filter(v => CHECKSUM_CODES.has(v.code)) }
}
