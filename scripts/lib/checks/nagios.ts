// The Nagios / Icinga plugin form of make check: one status line, then perfdata
// ('label'=value[UOM];warn;crit;min;max, U for a value that could not be read), exit 0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN; thresholds from -w/--warning, -c/--critical (check_postgres's style).
import type { CheckReport } from './report.js'
import { formatBytes } from '../output.js'
import { subscriptionOf } from './figures.js'

const label = (name: string) => `'${name.replaceAll("'", '"')}'`
/** One perfdata token, 'label'=value[UOM];warn;crit;min;max; U when the value could not be read. */
const perf = (name: string, value: number | null, uom: string, warn = '', crit = '', max = '') =>
  `${label(name)}=${value === null ? 'U' : `${value}${uom}`};${warn};${crit};0;${max}`

export function formatNagios(report: CheckReport): string {
  const { facts, thresholds } = report
  const worst = report.verdicts[0]
  const streaming = report.lag.filter(l => l.source === 'walsender').length
  const maxLag = Math.max(0, ...report.lag.map(l => l.bytes ?? 0))
  const summary = worst
    ? `${worst.node}: ${worst.problem}${report.verdicts.length > 1 ? ` (and ${report.verdicts.length - 1} more)` : ''}`
    : `${streaming} of ${facts.replicas.length} replicas streaming, max lag ${formatBytes(maxLag)}`
  const nodes = [facts.primary, ...facts.replicas]
  // Every replica has its tokens on every run (U when it could not be read), so graphs keep their series.
  const data = [
    ...report.lag.map(l =>
      perf(`lag_bytes_${l.replica}`, l.bytes, 'B', String(thresholds.maxLagBytes), String(thresholds.criticalLagBytes)),
    ),
    ...facts.primary.slots.map(s =>
      perf(`retained_wal_bytes_${s.name}`, s.retainedBytes, 'B', '', String(thresholds.maxRetainedBytes)),
    ),
    ...facts.replicas.map(r =>
      perf(`apply_errors_${r.name}`, r.up ? (subscriptionOf(r)?.applyErrorCount ?? null) : null, 'c'),
    ),
    ...(report.canary?.arrivals ?? []).map(a =>
      perf(
        `canary_seconds_${a.replica}`,
        a.ms === null ? null : Number((a.ms / 1000).toFixed(4)),
        's',
        '',
        String(report.canary!.timeoutMs / 1000),
      ),
    ),
    perf('nodes_up', nodes.filter(n => n.up).length, '', '', '', String(nodes.length)),
    perf('check_seconds', Number((report.elapsedMs / 1000).toFixed(3)), 's'),
  ]
  return `REPLKIT ${report.status} - ${summary.replaceAll('|', '/')} | ${data.join(' ')}`
}

/** What a plugin prints when it cannot judge at all (bad flag, bad configuration, deadline). */
export const nagiosUnknown = (message: string) => `REPLKIT UNKNOWN - ${message.replaceAll('|', '/')}`
