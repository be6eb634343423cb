import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ClusterFacts, PrimaryFacts, ReplicaFacts, Subscription, TableSum } from '../../scripts/lib/checks/facts.js'
import { compareTables, exitCode, replicaLags, status, verdicts } from '../../scripts/lib/checks/verdicts.js'
import { formatBytes } from '../../scripts/lib/output.js'

const TABLES = ['categories', 'products', 'inventory']
const thresholds = { maxLagBytes: 16 * 1024 * 1024, maxRetainedBytes: 1024 * 1024 * 1024 }
const settings = (walLevel = 'logical', pendingRestart = false) => ({
  wal_level: { setting: walLevel, pendingRestart },
  max_wal_senders: { setting: '10', pendingRestart: false },
  max_replication_slots: { setting: '10', pendingRestart: false },
})
const sums = (counts: number[], checksum = (i: number) => `c${i}`): TableSum[] =>
  TABLES.map((table, i) => ({ table, exists: true, rows: counts[i], checksum: counts[i] === 0 ? '0' : checksum(i) }))

function subscription(name: string, patch: Partial<Subscription> = {}): Subscription {
  return {
    id: 16400, name, enabled: true, slotName: name, publications: ['ecommerce_pub'], workerPid: 4242,
    lastMsgSendTime: null, lastMsgReceiptTime: null, latestEndTime: null, applyErrorCount: 0, syncErrorCount: 0,
    statsReset: null, tableStates: Object.fromEntries(TABLES.map(t => [t, 'r'])), ...patch,
  }
}

function replica(name: string, patch: Partial<ReplicaFacts> = {}): ReplicaFacts {
  return {
    name, role: 'replica', label: `postgres@127.0.0.1/${name}`, up: true, error: null,
    server: { version: '15.18', inRecovery: false, settings: settings('replica'), walSendersUsed: 0, slotsUsed: 0, hasFingerprint: true },
    tables: sums([5, 30, 30]), subscriptions: [subscription(`sub_${name}`)], ...patch,
  }
}

function healthy(): ClusterFacts {
  const primary: PrimaryFacts = {
    name: 'primary', role: 'primary', label: 'postgres@127.0.0.1/shop', up: true, error: null,
    server: { version: '15.18', inRecovery: false, settings: settings(), walSendersUsed: 2, slotsUsed: 2, hasFingerprint: true },
    tables: sums([5, 30, 30]),
    publications: [{ name: 'ecommerce_pub', allTables: false }],
    publishedTables: TABLES.map(table => ({ schema: 'public', table, exists: true, publications: ['ecommerce_pub'], hasPrimaryKey: true, replicaIdentity: 'default' as const })),
    slots: ['sub_replica1', 'sub_replica2'].map(name => ({ name, type: 'logical', plugin: 'pgoutput', active: true, walStatus: 'reserved', retainedBytes: 56, unconfirmedBytes: 0 })),
    walSenders: ['sub_replica1', 'sub_replica2'].map(applicationName => ({ applicationName, state: 'streaming', lagBytes: 0, replayLagMs: null })),
  }
  return { publication: 'ecommerce_pub', tables: TABLES, primary, replicas: [replica('replica1'), replica('replica2')] }
}

const problems = (facts: ClusterFacts) => verdicts(facts, thresholds).map(v => `${v.level} ${v.problem}: ${v.fix}`)

test('a healthy cluster has no verdicts and exits 0', () => {
  const found = verdicts(healthy(), thresholds)
  assert.equal(found, [])
  assert.is(status(found), 'OK')
  assert.is(exitCode(found), 0)
})

test('before replication: exactly the runbook\'s expected issues, exit 2', () => {
  const facts = healthy()
  facts.primary.server!.settings = settings('replica')
  facts.primary.publications = []
  facts.primary.publishedTables = facts.primary.publishedTables.map(t => ({ ...t, publications: [] }))
  facts.primary.slots = []
  facts.primary.walSenders = []
  facts.replicas = facts.replicas.map(r => ({ ...r, subscriptions: [], tables: sums([0, 0, 0]) }))
  const found = problems(facts)
  assert.equal(found.slice(0, 4), [
    'critical wal_level is replica on primary: run make replicate (needs a restart)',
    'critical no publications on primary: run make replicate',
    'critical no subscriptions on replica1: run make replicate',
    'critical no subscriptions on replica2: run make replicate',
  ])
  assert.ok(found.includes('critical products has 0 rows on replica1, primary has 30: replication is not set up: run make replicate (it copies the data)'))
  assert.is(found.length, 4 + 3 * 2)
  assert.is(exitCode(verdicts(facts, thresholds)), 2)
})

test('a restart pending for wal_level says to restart, not to re-run the fix', () => {
  const facts = healthy()
  facts.primary.server!.settings = settings('replica', true)
  assert.match(problems(facts)[0], /wal_level is replica on primary and a new value waits for a restart: restart the PRIMARY/)
})

test('a node that is down is one critical verdict; the others are still judged', () => {
  const facts = healthy()
  facts.replicas[1] = replica('replica2', { up: false, error: 'cannot reach replica2: connection refused', server: null, tables: [], subscriptions: [] })
  facts.primary.slots[1] = { ...facts.primary.slots[1], active: false, retainedBytes: 4096 }
  facts.primary.walSenders = facts.primary.walSenders.slice(0, 1)
  facts.replicas[0].subscriptions[0].applyErrorCount = 1
  const found = problems(facts)
  assert.match(found[0], /^critical replica2 is down: cannot reach replica2: connection refused: start replica2/)
  assert.ok(found.some(v => /^warning sub_replica1 had 1 apply error but is running and caught up now/.test(v)))
  assert.ok(found.some(v => /^warning slot sub_replica2 is inactive and holds 4\.0 kB of WAL/.test(v)))
  assert.not.ok(found.some(v => /replica2.*rows|no subscriptions on replica2/.test(v)))
  assert.equal(compareTables(facts).find(c => c.table === 'products')!.cells.map(c => c.state), ['reference', 'match', 'unknown'])
})

test('an inactive slot holding WAL is a warning (exit 1); past the limit it is critical', () => {
  const facts = healthy()
  facts.primary.slots.push({ name: 'replkit_test_idle', type: 'logical', plugin: 'pgoutput', active: false, walStatus: 'reserved', retainedBytes: 20_000, unconfirmedBytes: 20_000 })
  const found = verdicts(facts, thresholds)
  assert.is(found.length, 1)
  assert.is(found[0].level, 'warning')
  assert.match(found[0].fix, /pg_drop_replication_slot\('replkit_test_idle'\)/)
  assert.is(exitCode(found), 1)
  facts.primary.slots[2].retainedBytes = 2 * 1024 ** 3
  assert.match(problems(facts)[0], /^critical slot replkit_test_idle retains 2\.0 GB of WAL \(over 1\.0 GB\)/)
  facts.primary.slots[2].walStatus = 'lost'
  assert.match(problems(facts)[0], /wal_status lost.*make sync/)
})

test('apply errors that still block apply are critical and name SKIP, the LSN to find, resync and resetting the count', () => {
  const facts = healthy()
  facts.replicas[1].subscriptions[0].applyErrorCount = 3
  facts.primary.walSenders[1].lagBytes = 512
  const [v] = verdicts(facts, thresholds)
  assert.is(v.level, 'critical')
  assert.is(v.problem, 'sub_replica2 has 3 apply errors')
  assert.match(v.fix, /see replica2's log/)
  assert.match(v.fix, /ALTER SUBSCRIPTION sub_replica2 SKIP \(lsn = '<finished at LSN>'\) \(loses that whole transaction/)
  assert.match(v.fix, /resync with make sync/)
  assert.match(v.fix, /pg_stat_reset_subscription_stats\(16400\)/)
})

test('past apply errors on a running, caught-up subscription are a warning, not critical', () => {
  const facts = healthy()
  facts.replicas[0].subscriptions[0].applyErrorCount = 2
  assert.equal(problems(facts), [
    'warning sub_replica1 had 2 apply errors but is running and caught up now: read replica1\'s log for what failed (a PRIMARY restart counts too); then clear the count with SELECT pg_stat_reset_subscription_stats(16400)',
  ])
  assert.is(exitCode(verdicts(facts, thresholds)), 1)
  facts.primary.walSenders = facts.primary.walSenders.slice(1) // no walsender: lag only from the slot
  assert.is(verdicts(facts, thresholds)[0].level, 'critical')
})

test('a disabled subscription, a dead worker, syncing tables and a missing slot', () => {
  const facts = healthy()
  facts.replicas[0].subscriptions[0] = subscription('sub_replica1', { enabled: false, workerPid: null })
  facts.replicas[1].subscriptions[0] = subscription('sub_replica2', { workerPid: null, tableStates: { categories: 'r', products: 'd', inventory: 'r' } })
  facts.primary.slots = facts.primary.slots.slice(0, 1)
  const found = problems(facts)
  assert.ok(found.includes('critical sub_replica1 is disabled: ALTER SUBSCRIPTION sub_replica1 ENABLE'))
  assert.ok(found.some(v => v.startsWith('critical sub_replica2 is enabled but no apply worker runs')))
  assert.ok(found.some(v => v.startsWith('critical sub_replica2\'s slot sub_replica2 does not exist on the PRIMARY')))
  assert.ok(found.includes('warning sub_replica2 is still synchronizing products (copying data): wait for the initial copy and run make check again'))
})

test('a checksum mismatch with equal counts is critical and points at --diff', () => {
  const facts = healthy()
  facts.replicas[1].tables = sums([5, 30, 30], i => (i === 1 ? 'other' : `c${i}`))
  const found = problems(facts)
  assert.equal(found, ['critical products differs in content on replica2 (same 30 rows, different checksum): find the rows with make check ARGS="--diff products"; if replication is behind, wait and check again; else resync with make sync'])
})

test('a table missing on a replica says to apply the schema', () => {
  const facts = healthy()
  facts.replicas[0].tables[2] = { table: 'inventory', exists: false, rows: null, checksum: null }
  assert.equal(problems(facts), ['critical table inventory does not exist on replica1: run make schema (DDL is not replicated)'])
})

test('lag comes from the walsender, else from the slot\'s confirmed_flush_lsn; past the limit it warns', () => {
  const facts = healthy()
  facts.primary.walSenders = [{ applicationName: 'sub_replica1', state: 'streaming', lagBytes: 32 * 1024 * 1024, replayLagMs: 250 }]
  facts.primary.slots[1] = { ...facts.primary.slots[1], active: false, unconfirmedBytes: 100, retainedBytes: 0 }
  assert.equal(replicaLags(facts).map(l => [l.replica, l.source, l.bytes, l.replayLagMs]), [
    ['replica1', 'walsender', 32 * 1024 * 1024, 250],
    ['replica2', 'slot', 100, null],
  ])
  assert.equal(problems(facts), ['warning replica1 is 32.0 MB behind the PRIMARY: see its apply errors and the replica\'s log; lag that keeps growing means apply is stuck'])
})

test('a late canary is critical for that replica only', () => {
  const found = verdicts(healthy(), thresholds, {
    sku: 'REPLKIT-CANARY-x', timeoutMs: 5000, error: null,
    arrivals: [{ replica: 'replica1', status: 'arrived', ms: 1.2, reason: null }, { replica: 'replica2', status: 'late', ms: null, reason: null }],
  })
  assert.equal(found.map(v => `${v.node}: ${v.problem}`), ['replica2: the canary row did not reach replica2 within 5000 ms'])
})

test('warnings come after criticals; formatBytes reads like pg_size_pretty', () => {
  const facts = healthy()
  facts.primary.slots.push({ name: 'idle', type: 'logical', plugin: 'pgoutput', active: false, walStatus: 'reserved', retainedBytes: 10, unconfirmedBytes: 10 })
  facts.replicas[0].subscriptions[0].syncErrorCount = 1
  assert.equal(verdicts(facts, thresholds).map(v => v.level), ['critical', 'warning'])
  assert.equal([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes), ['0 B', '1023 B', '1.0 kB', '1.5 kB', '5.0 GB'])
})

test.run()
