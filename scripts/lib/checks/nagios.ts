// The Nagios / Icinga plugin form of make check: one status line, then perfdata
// ('label'=value[UOM];warn;crit;min;max), exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
import type { CheckReport } from './report.js'
import { formatBytes } from '../output.js'

const label = (name: string) => `'${name.replaceAll("'", '"')}'`
const perf = (name: string, value: number, uom: string, warn = '', crit = '') =>
  `${label(name)}=${value}${uom};${warn};${crit};0;`

export function formatNagios(report: CheckReport): string {
  const { facts, thresholds } = report
  const worst = report.verdicts[0]
  const streaming = report.lag.filter(l => l.source === 'walsender').length
  const maxLag = Math.max(0, ...report.lag.map(l => l.bytes ?? 0))
  const summary = worst
    ? `${worst.node}: ${worst.problem}${report.verdicts.length > 1 ? ` (and ${report.verdicts.length - 1} more)` : ''}`
    : `${streaming} of ${facts.replicas.length} replicas streaming, max lag ${formatBytes(maxLag)}`
  const data = [
    ...report.lag
      .filter(l => l.bytes !== null)
      .map(l => perf(`lag_bytes_${l.replica}`, l.bytes!, 'B', String(thresholds.maxLagBytes))),
    ...facts.primary.slots.map(s =>
      perf(`retained_wal_bytes_${s.name}`, s.retainedBytes ?? 0, 'B', '', String(thresholds.maxRetainedBytes)),
    ),
    ...facts.replicas.flatMap(r =>
      r.subscriptions
        .filter(s => s.name === `sub_${r.name}`)
        .map(s => perf(`apply_errors_${r.name}`, s.applyErrorCount, 'c')),
    ),
    ...(report.canary?.arrivals ?? [])
      .filter(a => a.ms !== null)
      .map(a =>
        perf(
          `canary_seconds_${a.replica}`,
          Number((a.ms! / 1000).toFixed(4)),
          's',
          '',
          String(report.canary!.timeoutMs / 1000),
        ),
      ),
    perf('nodes_up', [facts.primary, ...facts.replicas].filter(n => n.up).length, '', '', ''),
    perf('check_seconds', Number((report.elapsedMs / 1000).toFixed(3)), 's'),
  ]
  return `REPLKIT ${report.status} - ${summary.replaceAll('|', '/')} | ${data.join(' ')}`
}

/** What a plugin prints when it cannot judge at all (bad flag, bad configuration, deadline). */
export const nagiosUnknown = (message: string) => `REPLKIT UNKNOWN - ${message.replaceAll('|', '/')}`
