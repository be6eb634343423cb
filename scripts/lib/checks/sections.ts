// The sections of make check's report as tables: nodes, publication, subscriptions, slots, lag,
// consistency and --diff's rows. Pure: facts in, aligned text out (colour only on a TTY).
import { qualifiedName } from '../table-name.js'
import type { FailureKind } from '../db.js'
import { colour, formatBytes, formatTable } from '../output.js'
import type { TableCompare } from '../compare/at-lsn.js'
import { notNarrowed } from '../compare/tally.js'
import type { ClusterFacts, Subscription } from './facts.js'
import { type Lag, applyingLong, subscriptionOf } from './figures.js'
import type { CheckReport } from './report.js'

const yesNo = (value: boolean) => (value ? 'yes' : 'no')
const time = (value: Date | string | null) =>
  value
    ? new Date(value)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : null
export function nodesTable(facts: ClusterFacts): string {
  const rows = [facts.primary, ...facts.replicas].map(n => {
    const s = n.server
    const setting = (name: string) => s?.settings[name]?.setting
    const pending = s
      ? Object.entries(s.settings)
          .filter(([, v]) => v.pendingRestart)
          .map(([k]) => k)
      : []
    return [
      n.name,
      n.role,
      n.up ? colour.green('up') : colour.red(nodeState(n.errorKind)),
      s?.version.split(' ')[0],
      // replica is the right level for a logical replica: only the PRIMARY needs logical.
      setting('wal_level') === 'logical' || !s || n.role === 'replica'
        ? setting('wal_level')
        : colour.red(setting('wal_level')!),
      s ? (pending.length ? colour.yellow(pending.join(', ')) : 'no') : null,
      s ? `${s.walSendersUsed}/${setting('max_wal_senders')}` : null,
      s ? `${s.slotsUsed}/${setting('max_replication_slots')}` : null,
      s ? (s.tls ?? colour.yellow('no')) : null,
      n.label,
    ]
  })
  return formatTable(
    ['node', 'role', 'state', 'version', 'wal_level', 'restart pending', 'wal senders', 'slots', 'tls', 'address'],
    rows,
  )
}

export function publicationTable(facts: ClusterFacts): string {
  const p = facts.primary
  if (!p.up) return 'primary is down'
  if (p.publications.length === 0) return 'no publications'
  const rows = p.publishedTables.map(t => [
    qualifiedName({ schema: t.schema, name: t.table }),
    t.publications.length ? t.publications.join(', ') : colour.red('not published'),
    t.exists ? yesNo(t.hasPrimaryKey) : colour.red('table missing'),
    t.replicaIdentity,
  ])
  return `publications: ${p.publications.map(x => x.name).join(', ')}\n${formatTable(['table', 'publications', 'primary key', 'replica identity'], rows)}`
}

export function subscriptionTable(facts: ClusterFacts): string {
  const rows = facts.replicas.map(r => {
    if (!r.up) return [r.name, null, colour.red('node down')]
    const sub = subscriptionOf(r)
    if (!sub) return [r.name, colour.red('none'), null]
    const states = Object.values(sub.tableStates)
    const ready = states.filter(s => s === 'r').length
    return [
      r.name,
      sub.name,
      sub.enabled ? 'yes' : colour.red('no'),
      sub.workerPid ?? colour.red('none'),
      ready === facts.tables.length ? `${ready}/${states.length}` : colour.yellow(`${ready}/${states.length}`),
      time(sub.lastMsgReceiptTime),
      sub.applyErrorCount ? colour.red(String(sub.applyErrorCount)) : 0,
      sub.syncErrorCount ? colour.red(String(sub.syncErrorCount)) : 0,
      optionsText(sub.options),
      conflictsText(sub.conflicts),
    ]
  })
  return formatTable(
    [
      'replica',
      'subscription',
      'enabled',
      'worker pid',
      'tables ready',
      'last message received',
      'apply errors',
      'sync errors',
      'options',
      'conflicts (18+)',
    ],
    rows,
  )
}

/** The options that differ by version, e.g. "streaming parallel, binary, origin none". */
function optionsText(o: Subscription['options']): string {
  return [
    `streaming ${o.streaming}`,
    ...(o.binary ? ['binary'] : []),
    ...(o.origin ? [`origin ${o.origin}`] : []),
    ...(o.failover ? ['failover'] : []),
  ].join(', ')
}

/** 18's counts by type, only those above 0; "n/a" before 18 (the server does not count them). */
function conflictsText(conflicts: Subscription['conflicts']): string {
  if (!conflicts) return 'n/a'
  const counted = Object.entries(conflicts as Record<string, number>).filter(([, n]) => n > 0)
  return counted.length ? colour.yellow(counted.map(([t, n]) => `${t} ${n}`).join(', ')) : '0'
}

export function slotTable(facts: ClusterFacts): string {
  if (!facts.primary.up) return 'primary is down'
  if (facts.primary.slots.length === 0) return 'no replication slots'
  const rows = facts.primary.slots.map(s => [
    s.name,
    s.active ? 'yes' : colour.yellow('no'),
    s.retainedBytes === null ? null : formatBytes(s.retainedBytes),
    s.unconfirmedBytes === null ? null : formatBytes(s.unconfirmedBytes),
    s.invalidationReason ? colour.red(`${s.walStatus} (${s.invalidationReason})`) : s.walStatus,
    s.inactiveSince ? time(s.inactiveSince) : null,
  ])
  return formatTable(
    [
      'slot',
      'active',
      'retained WAL (restart_lsn)',
      'unconfirmed (confirmed_flush_lsn)',
      'wal_status',
      'inactive since (17+)',
    ],
    rows,
  )
}

function lagState(l: Lag): string {
  if (l.caughtUp) return 'caught up'
  if (l.source !== 'walsender') return colour.red('not streaming')
  if (applyingLong(l)) return colour.yellow(`applying one transaction for ${(l.applyingMs / 1000).toFixed(1)} s`)
  return l.replayLagMs === null ? `${formatBytes(l.bytes ?? 0)} to apply` : `${l.replayLagMs.toFixed(1)} ms`
}

export function lagTable(report: CheckReport): string {
  const rows = report.lag.map(l => {
    const canary = report.canary?.arrivals.find(a => a.replica === l.replica)
    return [
      l.replica,
      l.subscription,
      l.source ?? 'no walsender or slot',
      l.bytes === null ? null : formatBytes(l.bytes),
      lagState(l),
      ...(report.canary
        ? [canary?.ms != null ? `${canary.ms.toFixed(1)} ms` : (canary?.reason ?? colour.red('late'))]
        : []),
    ]
  })
  return formatTable(
    [
      'replica',
      'subscription',
      'measured from',
      'lag (WAL not yet applied)',
      'state',
      ...(report.canary ? ['canary'] : []),
    ],
    rows,
  )
}

export function consistencyTable(report: CheckReport): string {
  const nodes = [report.facts.primary, ...report.facts.replicas].map(n => n.name)
  const rows = report.consistency.map(c => [
    c.table,
    ...c.cells.map(cell => {
      switch (cell.state) {
        case 'reference':
          return String(cell.rows)
        case 'match':
          return `${cell.rows} ${colour.green('✓')}`
        case 'differs':
          return colour.red(`${cell.rows} ✗`)
        case 'missing':
          return colour.red('no table')
        case 'applying':
          return colour.yellow(`${cell.rows} …`)
        case 'writing':
          return colour.yellow(`${cell.rows} ~`)
        default:
          return cell.rows === null ? null : `${cell.rows} ?`
      }
    }),
    c.rounds === null ? 'one read' : `at an LSN, ${c.rounds} round${c.rounds === 1 ? '' : 's'}`,
  ])
  return formatTable(['table', ...nodes, 'compared'], rows)
}

const keyState = (d: TableCompare['differences'] & object, replica: string, i: number) => {
  const state = d[i].nodes[replica]
  return state === 'different' ? `different: ${(d[i].columns[replica] ?? []).join(', ')}` : (state ?? '=')
}

export function diffTable(diff: TableCompare): string {
  const how = `${diff.blocks} ${diff.blockKind === 'range' ? 'key-range' : 'key-hash'} blocks, ${diff.rounds} round${diff.rounds === 1 ? '' : 's'} at an LSN`
  if (diff.differences === null)
    return notNarrowed(diff)
      ? `${diff.tooManyRows} rows lie in differing blocks not narrowed to keys (${how}): the table kept changing; not compared, run it again`
      : `${diff.tooManyRows} rows lie in differing blocks: too many to list (${how}); resync with make sync`
  const unsettled = diff.replicas.filter(r => r.unsettled).map(r => `${r.unsettled} on ${r.name}`)
  const still = unsettled.length ? `; still being written, not compared: ${unsettled.join(', ')}` : ''
  if (diff.differences.length === 0)
    return `no differing rows on ${diff.replicas.map(r => r.name).join(', ')} (${how})${still}`
  const names = diff.replicas.map(r => r.name)
  const rows = diff.differences.map((d, i) => [d.key, ...names.map(r => keyState(diff.differences!, r, i))])
  return `${diff.differences.length} differing key${diff.differences.length === 1 ? '' : 's'} (${how})${still}\n${formatTable(['key', ...names], rows)}`
}

/** What the table says of a node replkit could not use: only an unreachable one is "down". */
function nodeState(kind: FailureKind | null): string {
  switch (kind) {
    case 'login':
      return 'login refused'
    case 'no-database':
      return 'no database'
    case 'tls':
      return 'TLS refused'
    case 'not-postgres':
      return 'not PostgreSQL'
    case 'slow':
      return 'too slow'
    case 'query':
      return 'unreadable'
    case 'unreachable':
      return 'down'
    default:
      return 'unusable'
  }
}
