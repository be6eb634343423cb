// The health report as people read it (aligned tables, verdicts last, colour only on a TTY) and
// as machines read it (--json: the same facts and verdicts). Pure: a report in, text out.
import { colour } from '../output.js'
import type { Verdict } from './figures.js'
import type { CheckReport } from './report.js'
import {
  consistencyTable,
  diffTable,
  lagTable,
  nodesTable,
  publicationTable,
  slotTable,
  subscriptionTable,
} from './sections.js'

const section = (title: string, body: string) => `${colour.bold(title)}\n${body}\n`

export function verdictLine(v: Verdict): string {
  const label = {
    critical: colour.red('✗ CRITICAL'),
    unknown: colour.yellow('? UNKNOWN'),
    warning: colour.yellow('! WARNING'),
  }[v.level]
  return `${label} ${v.problem}: ${v.fix}`
}

export function formatReport(report: CheckReport): string {
  const facts = report.facts
  // The PRIMARY by role (after a switchover it may be the node named replica1).
  const onPrimary = facts.primary.name === 'primary' ? 'primary' : `the PRIMARY (${facts.primary.name})`
  const parts = [
    section('Nodes', nodesTable(facts)),
    section(`Publication on ${onPrimary} (expected: ${facts.publication})`, publicationTable(facts)),
    section('Subscriptions on the replicas', subscriptionTable(facts)),
    section(`Replication slots on ${onPrimary}`, slotTable(facts)),
    section(`Lag, measured on ${onPrimary}`, lagTable(report)),
    section(
      'Data consistency: rows per table, ✓ = same content as primary, … = still applying when read, ~ = rows still being written',
      consistencyTable(report),
    ),
  ]
  if (report.diff) parts.push(section(`Rows of ${report.diff.table} that differ from primary`, diffTable(report.diff)))
  const notCompared = Object.entries(report.facts.diffNotCompared ?? {})
  if (notCompared.length)
    parts.push(section('Rows not compared (--diff)', notCompared.map(([r, why]) => `${r}: ${why}`).join('\n')))
  if (report.notes.length) parts.push(section('Notes', report.notes.map(n => `  ${n}`).join('\n')))
  const lines = report.verdicts.length
    ? report.verdicts.map(verdictLine)
    : [colour.green('✓ replication is healthy: nothing to fix')]
  parts.push(section('Verdicts', lines.join('\n')))
  const overall = { OK: colour.green, WARNING: colour.yellow, CRITICAL: colour.red, UNKNOWN: colour.yellow }[
    report.status
  ](report.status)
  parts.push(`Overall: ${overall} (exit ${report.exitCode}), checked in ${Math.round(report.elapsedMs)} ms`)
  return parts.join('\n')
}

/** The report as JSON; sequence values are bigint, written as decimal strings. */
export function formatJson(report: CheckReport): string {
  return JSON.stringify(report, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2)
}
