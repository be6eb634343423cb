import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ClusterFacts } from '../../scripts/lib/checks/facts.js'
import { buildReport, formatJson, formatReport, verdictLine } from '../../scripts/lib/checks/format.js'
import { compareRows, differingBuckets, prefixRanges } from '../../scripts/lib/checks/table-diff.js'

const thresholds = { maxLagBytes: 1024, maxRetainedBytes: 1024 ** 3 }

function facts(): ClusterFacts {
  const server = (walLevel: string) => ({
    version: '15.18 (Debian)', versionNum: 150018, inRecovery: false, walSendersUsed: 0, slotsUsed: 0, hasFingerprint: true, tls: 'TLSv1.3',
    settings: { wal_level: { setting: walLevel, pendingRestart: false }, max_wal_senders: { setting: '10', pendingRestart: false }, max_replication_slots: { setting: '10', pendingRestart: false } },
  })
  return {
    publication: 'ecommerce_pub', tables: ['products'],
    primary: {
      name: 'primary', role: 'primary', label: 'postgres@127.0.0.1:1/shop', up: true, error: null, errorKind: null, columns: [], sequences: [], unpublished: [], server: server('replica'),
      tables: [{ table: 'products', exists: true, rows: 30, checksum: '123' }], publications: [], publishedTables: [], slots: [], walSenders: [],
    },
    replicas: [
      { name: 'replica1', role: 'replica', label: 'postgres@127.0.0.1:2/shop', up: true, error: null, errorKind: null, columns: [], sequences: [], log: null, server: server('replica'), tables: [{ table: 'products', exists: true, rows: 0, checksum: '0' }], subscriptions: [] },
      { name: 'replica2', role: 'replica', label: 'postgres@127.0.0.1:3/shop', up: false, error: 'cannot reach replica2: connection refused', errorKind: 'unreachable', columns: [], sequences: [], log: null, server: null, tables: [], subscriptions: [] },
    ],
  }
}

test('the text report: aligned sections, verdicts with fixes, the overall status and exit code', () => {
  const text = formatReport(buildReport(facts(), thresholds, null, null, 42))
  assert.not.match(text, /\x1b\[/) // no colour when stdout is not a TTY
  assert.match(text, /^Nodes\nnode +role +state +version +wal_level/)
  assert.match(text, /\nprimary   primary  up     15\.18    replica  /)
  assert.match(text, /\nreplica2  replica  down   -/)
  assert.match(text, /\nno publications\n/)
  assert.match(text, /\nreplica1  none/)
  assert.match(text, /\nreplica2  -             node down/)
  assert.match(text, /\nproducts  30       0 ✗ +-\n/)
  assert.match(text, /✗ CRITICAL replica2 is down: cannot reach replica2: connection refused: start replica2/)
  assert.match(text, /✗ CRITICAL wal_level is replica on primary: run make replicate \(needs a restart\)/)
  assert.match(text, /Overall: CRITICAL \(exit 2\), checked in 42 ms$/)
})

test('--json carries the same facts and verdicts', () => {
  const report = JSON.parse(formatJson(buildReport(facts(), thresholds, null, null, 42)))
  assert.is(report.status, 'CRITICAL')
  assert.is(report.exitCode, 2)
  assert.is(report.facts.primary.tables[0].rows, 30)
  assert.equal(report.consistency[0].cells.map((c: { state: string }) => c.state), ['reference', 'differs', 'unknown'])
  assert.is(report.verdicts.length, 5)
  assert.equal(Object.keys(report.verdicts[0]), ['level', 'node', 'problem', 'fix'])
})

test('a verdict line reads as problem then fix', () => {
  assert.is(verdictLine({ level: 'warning', node: 'primary', problem: 'slot x is inactive', fix: 'drop it' }), '! WARNING slot x is inactive: drop it')
})

test('--diff ranges: a hex prefix covers exactly the uuids that start with it', () => {
  assert.equal(prefixRanges(['0a', 'ff']), [
    ['0a000000-0000-0000-0000-000000000000', 'ff000000-0000-0000-0000-000000000000'],
    ['0affffff-ffff-ffff-ffff-ffffffffffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ])
})

test('--diff buckets: differing counts, checksums and buckets present on one side only', () => {
  const b = (rows: number, checksum: string) => ({ rows, checksum })
  const primary = new Map([['00', b(2, 'a')], ['01', b(1, 'b')], ['02', b(1, 'c')]])
  const replica1 = new Map([['00', b(2, 'a')], ['01', b(1, 'x')], ['02', b(1, 'c')], ['03', b(1, 'd')]])
  const replica2 = new Map([['00', b(1, 'a')], ['01', b(1, 'b')], ['02', b(1, 'c')]])
  assert.equal(differingBuckets(primary, [replica1, replica2]), ['00', '01', '03'])
  assert.equal(differingBuckets(primary, [new Map(primary)]), [])
})

test('--diff rows: each key with which replica has it missing, different or extra', () => {
  const primary = new Map([['k1', 'h1'], ['k2', 'h2'], ['k3', 'h3']])
  const replica1 = new Map([['k1', 'h1'], ['k2', 'CHANGED'], ['k3', 'h3'], ['k4', 'h4']])
  const replica2 = new Map([['k1', 'h1'], ['k2', 'h2']])
  assert.equal(compareRows(primary, [['replica1', replica1], ['replica2', replica2]]), [
    { key: 'k2', nodes: { replica1: 'different' } },
    { key: 'k3', nodes: { replica2: 'missing' } },
    { key: 'k4', nodes: { replica1: 'extra' } },
  ])
})

test.run()
