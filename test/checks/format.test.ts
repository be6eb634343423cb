import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ClusterFacts } from '../../scripts/lib/checks/facts.js'
import { formatJson, formatReport, verdictLine } from '../../scripts/lib/checks/format.js'
import { buildReport } from '../../scripts/lib/checks/report.js'
import { withoutColour } from '../../scripts/lib/output.js'

const thresholds = { maxLagBytes: 1024, criticalLagBytes: 1024 ** 3, maxRetainedBytes: 1024 ** 3 }

function facts(): ClusterFacts {
  const server = (walLevel: string) => ({
    version: '15.18 (Debian)',
    versionNum: 150018,
    inRecovery: false,
    currentLsn: null,
    walLevelInFile: null,
    readOnlyForClients: true,
    walSendersUsed: 0,
    slotsUsed: 0,
    hasFingerprint: true,
    role: 'postgres',
    unreadable: [],
    tls: 'TLSv1.3',
    settings: {
      wal_level: { setting: walLevel, pendingRestart: false },
      max_wal_senders: { setting: '10', pendingRestart: false },
      max_replication_slots: { setting: '10', pendingRestart: false },
    },
  })
  return {
    publication: 'ecommerce_pub',
    tables: ['products'],
    excludedTables: [],
    publishedParts: {},
    primary: {
      name: 'primary',
      role: 'primary',
      label: 'postgres@127.0.0.1:1/shop',
      up: true,
      error: null,
      errorKind: null,
      startFailure: null,
      columns: [],
      sequences: [],
      unpublished: [],
      server: server('replica'),
      tables: [{ table: 'products', exists: true, rows: 30, checksum: '123' }],
      publications: [],
      publishedTables: [],
      slots: [],
      walSenders: [],
      admission: null,
      oldTransactions: [],
      walDisk: null,
    },
    replicas: [
      {
        name: 'replica1',
        role: 'replica',
        label: 'postgres@127.0.0.1:2/shop',
        up: true,
        error: null,
        errorKind: null,
        startFailure: null,
        columns: [],
        sequences: [],
        log: null,
        server: server('replica'),
        tables: [{ table: 'products', exists: true, rows: 0, checksum: '0' }],
        subscriptions: [],
      },
      {
        name: 'replica2',
        role: 'replica',
        label: 'postgres@127.0.0.1:3/shop',
        up: false,
        error: 'cannot reach replica2: connection refused',
        errorKind: 'unreachable',
        startFailure: null,
        columns: [],
        sequences: [],
        log: null,
        server: null,
        tables: [],
        subscriptions: [],
      },
    ],
  }
}

test('the text report: aligned sections, verdicts with fixes, the overall status and exit code', () => {
  const text = formatReport(buildReport(facts(), thresholds, null, null, 42))
  assert.is(withoutColour(text), text) // no colour when stdout is not a TTY
  assert.match(text, /^Nodes\nnode +role +state +version +wal_level/)
  assert.match(text, /\nprimary {3}primary {2}up {5}15\.18 {4}replica {2}/)
  assert.match(text, /\nreplica2 {2}replica {2}down {3}-/)
  assert.match(text, /\nno publications\n/)
  assert.match(text, /\nreplica1 {2}none/)
  assert.match(text, /\nreplica2 {2}- {13}node down/)
  assert.match(text, /\nproducts {2}30 {7}0 ✗ +- +one read\n/)
  assert.match(text, /✗ CRITICAL replica2 is down: cannot reach replica2: connection refused: start replica2/)
  assert.match(
    text,
    /✗ CRITICAL wal_level is replica on primary: run make replicate ARGS="--restart-primary" \(wal_level = logical needs a restart\)/,
  )
  assert.match(text, /Overall: CRITICAL \(exit 2\), checked in 42 ms$/)
})

test('--json carries the same facts and verdicts', () => {
  const report = JSON.parse(formatJson(buildReport(facts(), thresholds, null, null, 42)))
  assert.is(report.status, 'CRITICAL')
  assert.is(report.exitCode, 2)
  assert.is(report.facts.primary.tables[0].rows, 30)
  assert.equal(
    report.consistency[0].cells.map((c: { state: string }) => c.state),
    ['reference', 'differs', 'unknown'],
  )
  assert.is(report.verdicts.length, 5)
  assert.equal(Object.keys(report.verdicts[0]), ['code', 'level', 'node', 'problem', 'fix'])
})

test('a verdict line reads as problem then fix', () => {
  assert.is(
    verdictLine({
      code: 'SLOT_ORPHANED',
      level: 'warning',
      node: 'primary',
      problem: 'slot x is inactive',
      fix: 'drop it',
    }),
    '! WARNING slot x is inactive: drop it',
  )
})

test.run()
