import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ClusterFacts } from '../../scripts/lib/checks/facts.js'
import { healthy, replica, settings, stopped, subscription, sums, thresholds } from './facts-fixture.js'
import { compareTables, exitCode, notes, replicaLags, status, verdicts } from '../../scripts/lib/checks/verdicts.js'
import type { ApplyCause } from '../../scripts/lib/replication/worker-log.js'
import { formatBytes } from '../../scripts/lib/output.js'
import { failureKind } from '../../scripts/lib/db.js'

const problems = (facts: ClusterFacts) => verdicts(facts, thresholds).map(v => `${v.level} ${v.problem}: ${v.fix}`)

test('a healthy cluster has no verdicts and exits 0', () => {
  const found = verdicts(healthy(), thresholds)
  assert.equal(found, [])
  assert.is(status(found), 'OK')
  assert.is(exitCode(found), 0)
})

test('SUBSCRIPTION_OWNER: a subscription owned by another role is a warning, with make replicate as the fix', () => {
  const facts = { ...healthy(), subscriptionOwner: 'replkit_sub' }
  facts.replicas = facts.replicas.map((r, i) =>
    replica(r.name, {
      subscriptions: [subscription(`sub_${r.name}`, { owner: i === 0 ? 'replkit_sub' : 'postgres' })],
    }),
  )
  const found = verdicts(facts, thresholds)
  assert.equal(
    found.map(v => `${v.code} ${v.level} ${v.node}: ${v.problem}`),
    [
      'SUBSCRIPTION_OWNER_DIFFERS warning replica2: sub_replica2 is owned by postgres, not SUBSCRIPTION_OWNER replkit_sub',
    ],
  )
  assert.is(exitCode(found), 1)
  assert.equal(verdicts(healthy(), thresholds), [], 'without the setting, the owner is not judged')
})

test("before replication: exactly the runbook's expected issues, exit 2", () => {
  const facts = healthy()
  facts.primary.server!.settings = settings('replica')
  facts.primary.publications = []
  facts.primary.publishedTables = facts.primary.publishedTables.map(t => ({ ...t, publications: [] }))
  facts.primary.slots = []
  facts.primary.walSenders = []
  facts.replicas = facts.replicas.map(r => ({ ...r, subscriptions: [], tables: sums([0, 0, 0]) }))
  const found = problems(facts)
  assert.equal(found.slice(0, 4), [
    'critical wal_level is replica on primary: run make replicate ARGS="--restart-primary" (wal_level = logical needs a restart)',
    'critical no publications on primary: run make replicate',
    'critical no subscriptions on replica1: run make replicate',
    'critical no subscriptions on replica2: run make replicate',
  ])
  assert.ok(
    found.includes(
      'critical products has 0 rows on replica1, primary has 30: replication is not set up: run make replicate (it copies the data)',
    ),
  )
  assert.is(found.length, 4 + 3 * 2)
  assert.is(exitCode(verdicts(facts, thresholds)), 2)
})

test('a restart pending for wal_level = logical says to restart, not to re-run the fix', () => {
  const facts = healthy()
  facts.primary.server!.settings = settings('replica', true)
  facts.primary.server!.walLevelInFile = 'logical'
  assert.match(
    problems(facts)[0],
    /wal_level is replica on primary and logical waits for a restart: restart the PRIMARY/,
  )
})

test('a pending wal_level below logical while logical slots exist: critical, and never "restart" (the PRIMARY would not start)', () => {
  const facts = healthy()
  facts.primary.server!.settings = settings('logical', true)
  facts.primary.server!.walLevelInFile = 'replica'
  assert.equal(problems(facts), [
    'critical wal_level = replica waits for a restart on primary, and 2 logical slots exist: the PRIMARY would not start again (FATAL: logical replication slot … exists, but wal_level < logical): ' +
      'do not restart the PRIMARY; on it: ALTER SYSTEM SET wal_level = logical; SELECT pg_reload_conf(); (the pending value is then withdrawn)',
  ])
  assert.not.ok(problems(facts).some(p => /restart the PRIMARY to apply it/.test(p)))
})

test('a node that is down is one critical verdict; the others are still judged', () => {
  const facts = healthy()
  facts.replicas[1] = replica('replica2', {
    up: false,
    error: 'cannot reach replica2: connection refused',
    errorKind: 'unreachable',
    server: null,
    tables: [],
    subscriptions: [],
  })
  facts.primary.slots[1] = { ...facts.primary.slots[1], active: false, retainedBytes: 4096 }
  facts.primary.walSenders = facts.primary.walSenders.slice(0, 1)
  facts.replicas[0].subscriptions[0].applyErrorCount = 1
  const found = problems(facts)
  // The down replica's slot is its own: no advice to drop it, and past errors elsewhere are a note, not a verdict.
  assert.equal(found, [
    'critical replica2 is down: cannot reach replica2: connection refused: start replica2; it catches up from its slot on the PRIMARY when it returns',
  ])
  assert.match(notes(facts)[0], /^sub_replica1 counted 1 apply error in the past and is streaming now, caught up/)
  assert.equal(
    compareTables(facts)
      .find(c => c.table === 'products')!
      .cells.map(c => c.state),
    ['reference', 'match', 'unknown'],
  )
})

test('an inactive slot holding WAL is a warning (exit 1); past the limit it is critical', () => {
  const facts = healthy()
  facts.primary.slots.push({
    name: 'replkit_test_idle',
    type: 'logical',
    plugin: 'pgoutput',
    active: false,
    walStatus: 'reserved',
    retainedBytes: 20_000,
    unconfirmedBytes: 20_000,
    safeWalSize: null,
    invalidationReason: null,
    inactiveSince: null,
    failover: null,
  })
  const found = verdicts(facts, thresholds)
  assert.is(found.length, 1)
  assert.is(found[0].level, 'warning')
  assert.match(found[0].fix, /pg_drop_replication_slot\('replkit_test_idle'\)/)
  assert.is(exitCode(found), 1)
  facts.primary.slots[2].retainedBytes = 2 * 1024 ** 3
  assert.match(problems(facts)[0], /^critical slot replkit_test_idle retains 2\.0 GB of WAL \(over 1\.0 GB\)/)
  facts.primary.slots[2].walStatus = 'lost'
  assert.match(
    problems(facts)[0],
    /^critical slot replkit_test_idle lost WAL it needed \(wal_status lost\).*no subscription of this cluster uses it/,
  )
})

test("a down server whose last start failed: its log's FATAL line in the verdict, and a fix that does not say just start it", () => {
  const facts = stopped(healthy(), 1)
  facts.replicas[1].startFailure = 'FATAL: invalid value for parameter "max_connections": "many"'
  const [down] = verdicts(facts, thresholds).filter(v => v.code === 'NODE_DOWN')
  assert.is(
    down.problem,
    'replica2 is down: connection refused; its last start failed: FATAL: invalid value for parameter "max_connections": "many"',
  )
  assert.match(down.fix, /^the server refuses to start for the reason its log gives: correct that/)
})

test('a down replica whose slot replkit renamed (a resync): never offered for dropping, never called orphaned', () => {
  const facts = stopped(healthy(), 1)
  facts.primary.slots[1] = {
    ...facts.primary.slots[1],
    name: 'sub_replica2_resync',
    active: false,
    retainedBytes: 4096,
  }
  facts.primary.walSenders = facts.primary.walSenders.slice(0, 1)
  assert.equal(problems(facts), [
    'critical replica2 is down: connection refused: start replica2; it catches up from its slot on the PRIMARY when it returns',
  ])
  // A slot no name ties to a replica, while one replica cannot be read: kept, with why.
  facts.primary.slots.push({ ...facts.primary.slots[1], name: 'someone_elses', retainedBytes: 2 * 1024 ** 3 })
  const found = problems(facts)
  assert.not.ok(
    found.some(p => /pg_drop_replication_slot/.test(p)),
    found.join('\n'),
  )
  assert.ok(
    found.some(p =>
      /^critical slot someone_elses retains 2\.0 GB .*do not drop it: replica2 could not be read/.test(p),
    ),
    found.join('\n'),
  )
})

test('a slot of a live subscription is never offered for dropping; lost, it is resynced, not enabled', () => {
  const facts = healthy()
  facts.primary.slots[0] = { ...facts.primary.slots[0], active: false, retainedBytes: 20_000 }
  facts.primary.walSenders = facts.primary.walSenders.slice(1)
  assert.not.ok(
    problems(facts).some(v => /pg_drop_replication_slot/.test(v)),
    problems(facts).join('\n'),
  )
  facts.primary.slots[0].walStatus = 'lost'
  facts.replicas[0].subscriptions[0].enabled = false
  assert.equal(problems(facts), [
    'critical sub_replica1\'s slot sub_replica1 lost WAL it needed (wal_status lost): replica1 can never resume from it, and ENABLE cannot help: resync replica1: make sync ARGS="--replica replica1 --yes" (a new slot and a fresh copy; writes made meanwhile are copied too)',
  ])
})

test('wal_status unreserved is critical before the slot is lost; a keep size below max_wal_size warns', () => {
  const facts = healthy()
  facts.primary.slots[1] = { ...facts.primary.slots[1], walStatus: 'unreserved', safeWalSize: 1024 * 1024 }
  assert.match(
    problems(facts)[0],
    /^critical slot sub_replica2 is about to lose WAL it needs \(wal_status unreserved, 1\.0 MB of WAL until it is lost\).*let replica2 catch up/,
  )
  const keep = healthy()
  keep.primary.server!.settings = {
    ...settings(),
    max_slot_wal_keep_size: { setting: '64', pendingRestart: false },
    max_wal_size: { setting: '1024', pendingRestart: false },
  }
  assert.match(problems(keep)[0], /^warning max_slot_wal_keep_size is 64 MB, below max_wal_size \(1024 MB\)/)
})

const failure = (cause: ApplyCause, error: string, detail: string | null = null, context: string | null = null) => ({
  applyFailure: {
    error,
    detail,
    context,
    conflictType: null,
    relation: 'public.products',
    messageType: 'INSERT',
    remoteXid: '760',
    finishLsn: '0/1C9FBD28',
    loggedAt: '2026-12-01 23:42:34.417 UTC',
    cause,
  },
  workerError: null,
  conflicts: [],
  source: 'test',
})

test('an apply error that still blocks apply is critical with the fix of its cause; SKIP is never the advice', () => {
  const facts = healthy()
  facts.replicas[1].subscriptions[0].applyErrorCount = 3
  facts.primary.walSenders[1].lagBytes = 512
  facts.replicas[1].log = failure(
    'key-conflict',
    'duplicate key value violates unique constraint "products_sku_key"',
    'Key (sku)=(DUP-1) already exists.',
  )
  const [v] = verdicts(facts, thresholds)
  assert.is(v.level, 'critical')
  assert.is(
    v.problem,
    'sub_replica2 is stopped by a key conflict: Key (sku)=(DUP-1) already exists. — INSERT on public.products in remote transaction 760 (finish LSN 0/1C9FBD28)',
  )
  assert.is(
    v.fix,
    'make fix-conflict ARGS="--replica replica2" shows the conflicting row and the two ways out; --resync --yes repairs it without loss',
  )
  facts.replicas[1].log = failure(
    'connection-lost',
    'could not receive data from WAL stream: server closed the connection unexpectedly',
  )
  assert.equal(problems(facts), [], 'a lost connection the worker recovers from by itself is no verdict')
})

test('past apply errors on a streaming, caught-up subscription are a note, and the check is OK', () => {
  const facts = healthy()
  facts.replicas[0].subscriptions[0].applyErrorCount = 2
  assert.equal(problems(facts), [])
  assert.is(exitCode(verdicts(facts, thresholds)), 0)
  assert.match(notes(facts)[0], /^sub_replica1 counted 2 apply errors in the past/)
  // A background WAL record the walsender has not yet confirmed: still only a note.
  facts.primary.walSenders[0].lagBytes = 120
  assert.equal(problems(facts), [])
  assert.match(notes(facts)[0], /^sub_replica1 counted 2 apply errors in the past and is streaming now, 120 B to apply/)
  facts.primary.walSenders = facts.primary.walSenders.slice(1) // no walsender: not streaming
  assert.is(verdicts(facts, thresholds)[0].level, 'critical')
})

test('the replication role cannot log in: the server\'s message and make replicate, never "check max_logical_replication_workers"', () => {
  const facts = healthy()
  facts.primary.walSenders = facts.primary.walSenders.slice(1)
  facts.primary.slots[0].active = false
  facts.replicas[0].subscriptions[0].applyErrorCount = 20
  facts.replicas[0].log = {
    applyFailure: null,
    source: 'test',
    conflicts: [],
    workerError: {
      error:
        'could not connect to the publisher: connection to server at "127.0.0.1", port 54321 failed: FATAL:  password authentication failed for user "replicator"',
      cause: 'cannot-connect',
      loggedAt: '2026-12-01 23:42:38.483 UTC',
    },
  }
  assert.equal(problems(facts), [
    'critical sub_replica1 cannot connect to the PRIMARY as the replication role: connection to server at "127.0.0.1", port 54321 failed: FATAL:  password authentication failed for user "replicator" (replica1\'s log, 2026-12-01 23:42:38.483 UTC): ' +
      "make replicate (sets the role's password from REPLICATOR_PASSWORD and its pg_hba lines on the PRIMARY, and points sub_replica1 at them); nothing is lost meanwhile: the slot keeps every change",
  ])
})

test('schema drift: a column on the PRIMARY only is critical with the DDL; one on the replica only, nullable, warns', () => {
  const facts = healthy()
  const col = (table: string, column: string, type = 'text', notNull = false, dflt: string | null = null) => ({
    table,
    column,
    type,
    notNull,
    default: dflt,
  })
  facts.primary.columns = [col('products', 'id', 'uuid', true), col('products', 'color', 'text', false, "'red'::text")]
  facts.replicas[0].columns = [col('products', 'id', 'uuid', true)]
  facts.replicas[1].columns = [col('products', 'id', 'uuid', true), col('products', 'color'), col('products', 'legacy')]
  assert.equal(problems(facts), [
    "critical schema drift: products.color (text default 'red'::text) exists on the PRIMARY but not on replica1: on replica1: ALTER TABLE public.products ADD COLUMN color text DEFAULT 'red'::text; — apply resumes by itself once the column exists; nothing is lost (the failed transaction is retried)",
    'warning schema drift: products.legacy (text) exists on replica2 but not on the PRIMARY: replicated rows get NULL there; harmless to apply, but its values exist on that replica only (drop it there, or add it on the PRIMARY)',
  ])
  facts.replicas[0].columns = [col('products', 'id', 'text', true), col('products', 'color')]
  assert.match(
    problems(facts)[0],
    /products\.id is text on replica1 but uuid on the PRIMARY: on replica1: ALTER TABLE public\.products ALTER COLUMN id TYPE uuid USING id::uuid;/,
  )
})

test('a node that refuses the admin login is not "down": fix the password, not the server', () => {
  const facts = healthy()
  facts.primary = {
    ...facts.primary,
    up: false,
    error: 'primary (127.0.0.1:54321/shop): password authentication failed for user "postgres"',
    errorKind: 'login',
    server: null,
  }
  assert.match(
    problems(facts)[0],
    /^critical cannot log in to primary: .*password authentication failed.*: correct the user or password in PRIMARY_URL/,
  )
})

test('sequences behind on a replica are a note (not replicated), never a verdict', () => {
  const facts = healthy()
  facts.primary.sequences = [
    { sequence: 'public.orders_order_number_seq', column: 'orders.order_number', lastValue: 1200n, readable: true },
  ]
  facts.replicas[0].sequences = [
    { sequence: 'public.orders_order_number_seq', column: 'orders.order_number', lastValue: null, readable: true },
  ]
  assert.equal(problems(facts), [])
  facts.replicas[1].sequences = [
    { sequence: 'public.orders_order_number_seq', column: 'orders.order_number', lastValue: 1200n, readable: true },
  ]
  assert.equal(notes(facts), [
    "replica1: sequence public.orders_order_number_seq is at its start (never used), 1200 behind the PRIMARY's 1200 (sequences are not replicated): make sync-sequences before a switchover",
  ])
})

test('a disabled subscription, a dead worker, syncing tables and a missing slot', () => {
  const facts = healthy()
  facts.replicas[0].subscriptions[0] = subscription('sub_replica1', { enabled: false, workerPid: null })
  facts.replicas[1].subscriptions[0] = subscription('sub_replica2', {
    workerPid: null,
    tableStates: { categories: 'r', products: 'd', inventory: 'r' },
  })
  facts.primary.slots = facts.primary.slots.slice(0, 1)
  const found = problems(facts)
  assert.ok(
    found.includes('critical sub_replica1 is disabled: ALTER SUBSCRIPTION sub_replica1 ENABLE on replica1'),
    found.join('\n'),
  )
  assert.ok(found.some(v => v.startsWith("critical sub_replica2's slot sub_replica2 does not exist on the PRIMARY")))
  const running = healthy()
  running.replicas[1].subscriptions[0] = subscription('sub_replica2', {
    workerPid: null,
    tableStates: { categories: 'r', products: 'd', inventory: 'r' },
  })
  const more = problems(running)
  assert.ok(
    more.some(v => v.startsWith('critical sub_replica2 is enabled but no apply worker runs')),
    more.join('\n'),
  )
  assert.ok(
    more.includes(
      'warning sub_replica2 is still synchronizing products (copying data): wait for the initial copy and run make check again',
    ),
  )
})

test('a table that differs on a replica whose worker is down with WAL unconfirmed is not proven, never "differs": the rows may be the transaction it failed to apply', () => {
  const facts = healthy()
  facts.replicas[0].tables = sums([5, 30, 30], i => (i === 1 ? 'other' : `c${i}`))
  facts.primary.walSenders = facts.primary.walSenders.filter(w => w.applicationName !== 'sub_replica1')
  facts.primary.slots = facts.primary.slots.map(s =>
    s.name === 'sub_replica1' ? { ...s, active: false, unconfirmedBytes: 4096 } : s,
  )
  const found = verdicts(facts, thresholds)
  assert.equal(
    found.filter(v => v.code.startsWith('TABLE_')).map(v => `${v.code} ${v.level} ${v.node}`),
    ['TABLE_NOT_PROVEN warning replica1'],
  )
  // Its comparison at an LSN did not wait for it (nothing streams to it): its "differs" is as it stands, no proof.
  facts.compared = {
    products: {
      table: 'products',
      rounds: 2,
      blocks: 1,
      blockKind: 'whole',
      replicas: [{ name: 'replica1', state: 'differs', differingBlocks: 1, unsettled: 0 }],
      differences: null,
      tooManyRows: null,
      ms: 5,
    },
  } as unknown as ClusterFacts['compared']
  assert.equal(
    verdicts(facts, thresholds)
      .filter(v => v.code.startsWith('TABLE_'))
      .map(v => `${v.code} ${v.level} ${v.node}`),
    ['TABLE_NOT_PROVEN warning replica1'],
  )
  // Not streaming with nothing left unconfirmed: the difference is real.
  facts.primary.slots = facts.primary.slots.map(s => (s.name === 'sub_replica1' ? { ...s, unconfirmedBytes: 0 } : s))
  assert.equal(
    verdicts(facts, thresholds)
      .filter(v => v.code.startsWith('TABLE_'))
      .map(v => `${v.code} ${v.level} ${v.node}`),
    ['TABLE_DIFFERS critical replica1'],
  )
})

test('a checksum mismatch with equal counts is critical and points at --diff', () => {
  const facts = healthy()
  facts.replicas[1].tables = sums([5, 30, 30], i => (i === 1 ? 'other' : `c${i}`))
  const found = problems(facts)
  assert.equal(found, [
    'critical products differs in content on replica2 (same 30 rows, different checksum): see the rows with make check ARGS="--diff products"; make sync ARGS="--replica replica2 --yes" repairs them (only those rows when few differ and sub_replica2 streams, else a copy of the replica; what it overwrites is saved first)',
  ])
})

test("a table missing on a replica is created there from the PRIMARY's definition; on the PRIMARY, from the schema", () => {
  const facts = healthy()
  facts.replicas[0].tables[2] = { table: 'inventory', exists: false, rows: null, checksum: null }
  assert.equal(problems(facts), [
    "critical table inventory does not exist on replica1: make replicate: it creates inventory on replica1 from the PRIMARY's definition and copies its rows (DDL is not replicated)",
  ])
  const onPrimary = healthy()
  onPrimary.primary.tables[2] = { table: 'inventory', exists: false, rows: null, checksum: null }
  assert.ok(
    problems(onPrimary).includes(
      'critical table inventory does not exist on primary: run make schema (DDL is not replicated)',
    ),
    problems(onPrimary).join('\n'),
  )
})

test("lag comes from the walsender, else from the slot's confirmed_flush_lsn; past the limit it warns", () => {
  const facts = healthy()
  facts.primary.walSenders = [
    { applicationName: 'sub_replica1', state: 'streaming', lagBytes: 32 * 1024 * 1024, replayLagMs: 250 },
  ]
  facts.primary.slots[1] = { ...facts.primary.slots[1], active: false, unconfirmedBytes: 100, retainedBytes: 0 }
  assert.equal(
    replicaLags(facts).map(l => [l.replica, l.source, l.bytes, l.replayLagMs]),
    [
      ['replica1', 'walsender', 32 * 1024 * 1024, 250],
      ['replica2', 'slot', 100, null],
    ],
  )
  facts.primary.walSenders.push({ applicationName: 'sub_replica2', state: 'streaming', lagBytes: 0, replayLagMs: null })
  facts.primary.slots[1] = { ...facts.primary.slots[1], active: true, unconfirmedBytes: 571 * 1024 }
  // The slot still holds 571 kB: not caught up, whatever the walsender's replay position says.
  assert.equal(
    replicaLags(facts).map(l => [l.bytes, l.caughtUp]),
    [
      [32 * 1024 * 1024, false],
      [571 * 1024, false],
    ],
  )
  assert.equal(problems(facts), [
    "warning replica1 has 32.0 MB of the PRIMARY's WAL still to apply (over 16.0 MB): a large transaction in flight, or apply slower than the writes: wait, it shrinks as the replica applies; if it only grows, read its log",
  ])
  // Past -c/--critical-lag, the same lag is CRITICAL.
  assert.match(
    verdicts(facts, { ...thresholds, criticalLagBytes: 30 * 1024 * 1024 })
      .map(v => `${v.level} ${v.problem}`)
      .join('\n'),
    /^critical replica1 has 32\.0 MB of the PRIMARY's WAL still to apply \(over 30\.0 MB\)$/,
  )
})

test('a late canary is critical for that replica only', () => {
  const found = verdicts(healthy(), thresholds, {
    sku: 'REPLKIT-CANARY-x',
    timeoutMs: 5000,
    error: null,
    arrivals: [
      { replica: 'replica1', status: 'arrived', ms: 1.2, reason: null },
      { replica: 'replica2', status: 'late', ms: null, reason: null },
    ],
  })
  assert.equal(
    found.map(v => `${v.node}: ${v.problem}`),
    ['replica2: the canary row did not reach replica2 within 5000 ms'],
  )
})

test('warnings come after criticals; formatBytes reads like pg_size_pretty', () => {
  const facts = healthy()
  facts.primary.slots.push({
    name: 'idle',
    type: 'logical',
    plugin: 'pgoutput',
    active: false,
    walStatus: 'reserved',
    retainedBytes: 10,
    unconfirmedBytes: 10,
    safeWalSize: null,
    invalidationReason: null,
    inactiveSince: null,
    failover: null,
  })
  facts.replicas[0].subscriptions[0].syncErrorCount = 1
  facts.replicas[0].subscriptions[0].tableStates.products = 'd'
  assert.equal(
    verdicts(facts, thresholds).map(v => v.level),
    ['critical', 'warning', 'warning'],
  )
  assert.equal([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes), ['0 B', '1023 B', '1.0 kB', '1.5 kB', '5.0 GB'])
})

test('table sync errors are critical while a table is still copied; once every table is ready they are a note, caught up or not', () => {
  const facts = healthy()
  const sub = facts.replicas[0].subscriptions[0]
  sub.syncErrorCount = 2
  sub.tableStates.inventory = 'd'
  assert.match(problems(facts)[0], /^critical sub_replica1 has 2 table sync errors/)
  sub.tableStates.inventory = 'r'
  facts.primary.walSenders[0].lagBytes = 120 // a background WAL record not yet confirmed
  assert.equal(problems(facts), [])
  assert.ok(
    notes(facts).includes(
      'sub_replica1 counted 2 table sync errors in the past; every table it subscribes to is copied and ready now',
    ),
    notes(facts).join('\n'),
  )
})

test("sender and receiver timeouts under 30 s warn, with PostgreSQL's 60 s as the fix", () => {
  const facts = healthy()
  facts.primary.server!.settings = { ...settings(), wal_sender_timeout: { setting: '5000', pendingRestart: false } }
  facts.replicas[1].server!.settings = {
    ...settings('replica'),
    wal_receiver_timeout: { setting: '5000', pendingRestart: false },
  }
  assert.equal(
    problems(facts).map(p => p.split(':')[0]),
    ['warning wal_sender_timeout is 5s on primary', 'warning wal_receiver_timeout is 5s on replica2'],
  )
  assert.match(problems(facts)[0], /ALTER SYSTEM SET wal_sender_timeout = '60s'; SELECT pg_reload_conf\(\)/)
  facts.primary.server!.settings.wal_sender_timeout.setting = '60000'
  facts.replicas[1].server!.settings.wal_receiver_timeout = { setting: '0', pendingRestart: false }
  assert.equal(problems(facts), [])
})

test('a replica that differs while still applying is a warning (never OK), never a differing table', () => {
  const facts = healthy()
  facts.replicas[0].tables = sums([5, 10, 30])
  facts.primary.walSenders[0].lagBytes = 3 * 1024 * 1024
  assert.equal(
    compareTables(facts)
      .find(c => c.table === 'products')!
      .cells.map(c => c.state),
    ['reference', 'applying', 'match'],
  )
  assert.not.ok(
    problems(facts).some(p => /products has 10 rows/.test(p)),
    problems(facts).join('\n'),
  )
  assert.equal(status(verdicts(facts, thresholds)), 'WARNING')
  assert.ok(
    problems(facts).some(p =>
      /^warning products on replica1 is not proven to hold the PRIMARY's committed rows: it differed when read, replica1 had not applied/.test(
        p,
      ),
    ),
    problems(facts).join('\n'),
  )
  facts.compareErrors = { products: 'replica1 did not reach 0/5000 within 5 s' }
  assert.match(problems(facts).join('\n'), /could not be compared at an LSN: replica1 did not reach 0\/5000 within 5 s/)
  facts.primary.walSenders[0].lagBytes = 0
  assert.ok(problems(facts).some(p => /^critical products has 10 rows on replica1, primary has 30/.test(p)))
})

test('a worker that just died on a key conflict is named by the conflict, not as "no apply worker runs"', () => {
  const facts = healthy()
  facts.replicas[0].subscriptions[0] = subscription('sub_replica1', { workerPid: null, applyErrorCount: 4 })
  facts.primary.walSenders[0].lagBytes = 300
  facts.replicas[0].log = failure(
    'key-conflict',
    'duplicate key value violates unique constraint "products_sku_key"',
    'Key (sku)=(X) already exists.',
  )
  assert.equal(
    problems(facts).map(p => p.split(':')[0]),
    ['critical sub_replica1 is stopped by a key conflict'],
  )
})

// PostgreSQL 17 and 18: what the newer catalogues say, judged.
const noConflicts = {
  insert_exists: 0,
  update_exists: 0,
  update_missing: 0,
  update_origin_differs: 0,
  delete_missing: 0,
  delete_origin_differs: 0,
  multiple_unique_conflicts: 0,
}

test('18: skipped changes to rows the replica lacks name the cause and the resync; once the data matches, a note', () => {
  const facts = healthy()
  const r1 = facts.replicas[0]
  r1.subscriptions[0].conflicts = { ...noConflicts, update_missing: 2 }
  r1.log = {
    applyFailure: null,
    workerError: null,
    source: 'test',
    conflicts: [
      { type: 'update_missing', relation: 'public.products', lines: 2, lastLoggedAt: '2026-12-02 02:30:00.000 UTC' },
    ],
  }
  r1.tables = sums([5, 29, 30])
  assert.equal(problems(facts), [
    'critical products has 29 rows on replica1, primary has 30: sub_replica1 skipped changes to rows replica1 does not have (update_missing 2; ' +
      'PostgreSQL 18\'s conflict statistics, products named in its log): make sync ARGS="--replica replica1 --yes" ' +
      '(repairs the differing rows, or copies the replica again when many differ; under live writes; the other replicas keep streaming; what it overwrites is saved first)',
  ])
  r1.tables = sums([5, 30, 30])
  assert.equal(problems(facts), [])
  assert.match(
    notes(facts).join('\n'),
    /sub_replica1 counted update_missing 2 conflicts in the past .* every table compared matches the PRIMARY now\. The counts stay until SELECT pg_stat_reset_subscription_stats\(16400\) on replica1/,
  )
})

test('17+: a lost slot says why it was invalidated; 18: an idle slot warns before idle_replication_slot_timeout takes it', () => {
  const facts = healthy()
  Object.assign(facts.primary.slots[1], { walStatus: 'lost', active: false, invalidationReason: 'idle_timeout' })
  assert.match(
    problems(facts)[0],
    /^critical sub_replica2's slot sub_replica2 was invalidated for idling longer than idle_replication_slot_timeout \(invalidation_reason idle_timeout\): replica2 can never resume/,
  )
  Object.assign(facts.primary.slots[1], { walStatus: 'lost', invalidationReason: null })
  assert.match(problems(facts)[0], /slot sub_replica2 lost WAL it needed \(wal_status lost\)/, '15–16 say only lost')

  const idle = healthy()
  idle.primary.server!.settings = {
    ...settings(),
    idle_replication_slot_timeout: { setting: '3600', pendingRestart: false },
  }
  Object.assign(idle.primary.slots[1], { active: false, inactiveSince: new Date(Date.now() - 50 * 60_000) })
  const [warning] = verdicts(idle, thresholds)
  assert.is(warning.level, 'warning')
  assert.match(
    warning.problem,
    /^slot sub_replica2 has had no consumer since .*: idle_replication_slot_timeout \(3600 s\) invalidates it in about 10 min, and then replica2 needs a full resync$/,
  )
  assert.match(warning.fix, /bring replica2's subscription back before then/)
})

test('a replica applying one transaction for over a second is not caught up, lags what it has not applied, and is never OK', () => {
  const facts = healthy()
  const sub = facts.replicas[0].subscriptions[0]
  // Streamed changes were confirmed as they were spooled: the walsender reads 467 kB behind.
  facts.primary.walSenders[0].lagBytes = 467 * 1024
  sub.applyingMs = 12_300
  sub.appliedLsn = '0/2000000'
  facts.primary.server!.currentLsn = '0/3C00000'
  const lag = replicaLags(facts)[0]
  assert.is(lag.caughtUp, false)
  assert.is(lag.sinceAppliedBytes, 28 * 1024 * 1024)
  // The lag itself (the table, Nagios, the exporter) is what is not applied, not the walsender's 467 kB.
  assert.is(lag.bytes, 28 * 1024 * 1024)
  assert.equal(problems(facts), [
    'critical replica1 has not applied a transaction the PRIMARY committed: its apply worker has been applying it for 12.3 s, and its rows are not visible on replica1 until it commits there ' +
      "(28.0 MB of the PRIMARY's WAL since the last commit replica1 applied): wait and run make check again: the rows appear when that transaction commits on the replica; if it never does, read the replica's log",
  ])
  facts.primary.server!.currentLsn = '0/2100000'
  assert.match(problems(facts)[0], /^warning replica1 has not applied a transaction/)
  // A transaction open for less than the grace is a replica keeping pace with small ones.
  sub.applyingMs = 40
  facts.primary.walSenders[0].lagBytes = 0
  assert.equal(problems(facts), [])
  assert.is(replicaLags(facts)[0].caughtUp, false)
  sub.applyingMs = null
  assert.is(replicaLags(facts)[0].caughtUp, true)
})

test('an apply worker waiting on a lock another session holds on the replica names that session and how to end it', () => {
  const facts = healthy()
  const sub = facts.replicas[0].subscriptions[0]
  // Waiting before its first row: no xid, no bytes behind on the walsender, and still not applied.
  sub.applyingMs = 4_200
  sub.applyingBlockedBy = [{ pid: 14620, application: 'psql', state: 'idle in transaction', seconds: 9 }]
  sub.appliedLsn = '0/3B00000'
  facts.primary.server!.currentLsn = '0/3C00000'
  const [verdict] = verdicts(facts, thresholds)
  assert.is(verdict.level, 'warning')
  assert.match(
    verdict.problem,
    /^replica1 has not applied a transaction the PRIMARY committed: its apply worker has waited 4\.2 s for a lock held on replica1 by pid 14620 \(psql, idle in transaction for 9 s\)/,
  )
  assert.match(
    verdict.fix,
    /SELECT pg_terminate_backend\(pid\) FROM unnest\('\{14620\}'::int\[\]\) AS pid; on replica1/,
  )
})

test('the WAL the slots hold is judged against the disk it lives on, where replkit can read it', () => {
  const facts = healthy()
  const GB = 1024 ** 3
  facts.primary.slots[0].retainedBytes = 3 * GB
  // Unknown disk (a server replkit does not run): only --max-retained judges it.
  assert.not.ok(problems(facts).some(p => /disk of its WAL/.test(p)))
  facts.primary.walDisk = { freeBytes: 10 * GB, totalBytes: 50 * GB }
  assert.not.ok(problems(facts).some(p => /disk of its WAL/.test(p)))
  facts.primary.walDisk = { freeBytes: 5 * GB, totalBytes: 50 * GB }
  const warning = problems(facts).find(p => /disk of its WAL/.test(p))
  assert.match(
    warning ?? '',
    /^warning the slots hold 3\.0 GB of WAL on primary, and the disk of its WAL has 5\.0 GB free of 50\.0 GB: if they go on holding, it fills and the PRIMARY stops/,
  )
  assert.match(warning ?? '', /ALTER SYSTEM SET max_slot_wal_keep_size = '2560MB'/)
  facts.primary.walDisk = { freeBytes: 2 * GB, totalBytes: 50 * GB }
  assert.ok(problems(facts).some(p => /^critical the slots hold 3\.0 GB/.test(p)))
})

test('a subscribed replica that accepts client writes is a warning naming make replicate', () => {
  const facts = healthy()
  facts.replicas[1].server!.readOnlyForClients = false
  const [verdict, ...rest] = verdicts(facts, thresholds)
  assert.equal(rest, [])
  assert.is(verdict.level, 'warning')
  assert.is(verdict.node, 'replica2')
  assert.match(verdict.problem, /^replica2 accepts client writes/)
  assert.match(verdict.fix, /^make replicate: it makes every replica read-only for client sessions/)
})

test('a node that answered but ran past the statement timeout is "could not be observed" (UNKNOWN, exit 3), never "down … start it"', () => {
  const facts = healthy()
  facts.primary = {
    ...facts.primary,
    up: false,
    server: null,
    error:
      'primary (127.0.0.1:54321/shop): answered, but a query ran past its statement timeout (the server is busy, not down)',
    errorKind: 'slow',
    slots: [],
    walSenders: [],
  }
  const found = verdicts(facts, thresholds)
  assert.equal(
    found.map(v => `${v.level} ${v.problem}`),
    [
      'unknown primary could not be observed: primary (127.0.0.1:54321/shop): answered, but a query ran past its statement timeout (the server is busy, not down)',
    ],
  )
  assert.not.ok(found.some(v => /is down|start the PRIMARY/.test(v.problem + v.fix)))
  assert.is(status(found), 'UNKNOWN')
  assert.is(exitCode(found), 3)
  // What was observed to be wrong elsewhere still wins.
  facts.replicas[0].subscriptions[0].enabled = false
  assert.is(status(verdicts(facts, thresholds)), 'CRITICAL')
})

test('a node that answered a query with an error of its own is unreadable (UNKNOWN), never "down"', () => {
  const facts = stopped(healthy(), 1)
  Object.assign(facts.replicas[1], {
    error: 'replica2 (127.0.0.1:54323/shop): relation "public.payments" does not exist',
    errorKind: failureKind({ code: '42P01' }),
  })
  const found = verdicts(facts, thresholds)
  assert.equal(
    found.map(v => `${v.code} ${v.level} ${v.problem}`),
    [
      'NODE_UNREADABLE unknown replica2 answered, but make check could not read it: replica2 (127.0.0.1:54323/shop): relation "public.payments" does not exist',
    ],
  )
  assert.not.ok(found.some(v => /is down|start replica2/.test(v.problem + v.fix)))
  assert.is(exitCode(found), 3)
  // A connection the server ended, or a server shutting down, is not a query error.
  assert.is(failureKind({ code: '57P01' }), 'other')
  assert.is(failureKind({ code: '08006' }), 'other')
  assert.is(failureKind({ code: '57014' }), 'slow')
})

test('--diff rows not read on a replica are "not compared" (UNKNOWN), never "no differing rows"', () => {
  const facts = healthy()
  facts.diffNotCompared = { replica1: 'the comparison did not finish: canceling statement due to statement timeout' }
  const found = verdicts(facts, thresholds)
  assert.equal(
    found.map(v => `${v.level} ${v.node}: ${v.problem}`),
    [
      'unknown replica1: --diff: rows not compared on replica1: the comparison did not finish: canceling statement due to statement timeout',
    ],
  )
  assert.is(exitCode(found), 3)
})

test('a table-sync slot of a live subscription belongs to it: never offered for dropping', () => {
  const facts = healthy()
  const sub = facts.replicas[0].subscriptions[0]
  const sync = {
    ...facts.primary.slots[0],
    name: `pg_${sub.id}_sync_16390_7441234567890123456`,
    active: false,
    retainedBytes: 4096,
  }
  facts.primary.slots.push(sync)
  assert.not.ok(
    problems(facts).some(p => p.includes(sync.name)),
    problems(facts).join('\n'),
  )
  // Another subscription's sync slot, gone with it, is abandoned.
  facts.primary.slots[facts.primary.slots.length - 1] = { ...sync, name: 'pg_999999_sync_16390_7441234567890123456' }
  assert.ok(
    problems(facts).some(p => /pg_999999_sync_.*pg_drop_replication_slot/.test(p)),
    problems(facts).join('\n'),
  )
})

test('pg_hba.conf that would refuse a replica, or a role that cannot log in: critical before any walsender reconnects', () => {
  const facts = healthy()
  facts.primary.admission!.rules = facts.primary.admission!.rules!.filter(r => r.line !== 8)
  assert.equal(problems(facts).filter(p => /pg_hba/.test(p)).length, 2)
  assert.match(
    problems(facts)[0],
    /^critical pg_hba\.conf on primary refuses replica1's subscription \(user replicator, database shop, TLS, from 127\.0\.0\.1\): line 9 rejects it; .*hostssl shop replicator 127\.0\.0\.1\/32 scram-sha-256; then SELECT pg_reload_conf\(\)/,
  )
  facts.primary.admission!.rules = null // not readable by this role: nothing claimed
  assert.equal(problems(facts), [])
  facts.primary.admission!.validUntil = new Date('2026-01-01T00:00:00Z')
  assert.match(
    problems(facts)[0],
    /^critical the replication role replicator's password expired on 2026-01-01T00:00:00.000Z \(VALID UNTIL\)/,
  )
})

test('WAL kept by a transaction left open on the PRIMARY names that transaction, never the caught-up replica', () => {
  const facts = healthy()
  facts.primary.slots = facts.primary.slots.map(s => ({ ...s, retainedBytes: 97 * 1024 * 1024, unconfirmedBytes: 0 }))
  facts.primary.oldTransactions = [
    {
      pid: 4242,
      user: 'shop',
      applicationName: 'psql',
      state: 'idle in transaction',
      ageSeconds: 95,
      query: 'insert into orders (customer_email) values ($1)',
    },
  ]
  assert.equal(problems(facts), [
    'warning a transaction open on primary (pid 4242, user shop, application psql, idle in transaction, open 95 s; last query: insert into orders (customer_email) values ($1)) makes sub_replica1, sub_replica2 retain up to 97.0 MB of WAL: ' +
      'logical decoding keeps the WAL back to the start of the oldest running transaction, however caught up the replicas are: ' +
      'have its application end it (COMMIT or ROLLBACK), or on primary: SELECT pg_terminate_backend(4242); (its uncommitted work is rolled back)',
  ])
  const strict = { ...thresholds, maxRetainedBytes: 50 * 1024 * 1024 }
  assert.equal(
    verdicts(facts, strict).map(v => v.level),
    ['critical'],
  )
  assert.not.ok(verdicts(facts, strict).some(v => /far behind or stopped/.test(v.fix)))
  // A young transaction is not the explanation: restart_lsn moves on every ~15 s by itself.
  facts.primary.oldTransactions[0].ageSeconds = 5
  assert.equal(problems(facts), [])
})

test.run()
