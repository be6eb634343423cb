// The apply failure read from a replica's server log: key, relation and finish LSN.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  classifyApplyError,
  conflictKeys,
  currentApplyFailure,
  lastApplyFailure,
  lastWorkerError,
  lsnNumber,
} from '../../scripts/lib/replication/worker-log.js'

const log = `2026-11-24 00:34:40.113 UTC [24473] ERROR:  duplicate key value violates unique constraint "products_sku_key"
2026-11-24 00:34:40.113 UTC [24473] DETAIL:  Key (sku)=(OLD) already exists.
2026-11-24 00:34:40.113 UTC [24473] CONTEXT:  processing remote data for replication origin "pg_16598" during message type "INSERT" for replication target relation "public.products" in transaction 758, finished at 0/19D2A80
2026-11-24 00:34:40.221 UTC [24475] LOG:  logical replication apply worker for subscription "sub_replica1" has started
2026-11-24 00:34:40.234 UTC [24475] ERROR:  duplicate key value violates unique constraint "products_sku_key"
2026-11-24 00:34:40.234 UTC [24480] LOG:  another process
2026-11-24 00:34:40.234 UTC [24475] DETAIL:  Key (sku)=(DUP-1) already exists.
2026-11-24 00:34:40.234 UTC [24475] CONTEXT:  processing remote data for replication origin "pg_16598" during message type "INSERT" for replication target relation "public.products" in transaction 760, finished at 0/19D2B00
2026-11-24 00:34:41.000 UTC [24490] CONTEXT:  processing remote data for replication origin "pg_99999" during message type "UPDATE" for replication target relation "public.orders" in transaction 9, finished at 0/FF
`

test("the last failure of the subscription's origin, with its own ERROR and DETAIL lines", () => {
  assert.equal(lastApplyFailure(log, 16598), {
    error: 'duplicate key value violates unique constraint "products_sku_key"',
    detail: 'Key (sku)=(DUP-1) already exists.',
    conflictType: null,
    relation: 'public.products',
    messageType: 'INSERT',
    remoteXid: '760',
    finishLsn: '0/19D2B00',
    loggedAt: '2026-11-24 00:34:40.234 UTC',
    context: null,
  })
})

test("another subscription's failures are not this one's; no failure gives null", () => {
  assert.is(lastApplyFailure(log, 99999)?.finishLsn, '0/FF')
  assert.is(lastApplyFailure(log, 1), null)
  assert.is(lastApplyFailure('', 16598), null)
})

// As PostgreSQL 18.4 logs it (a replica of the test cluster): the conflict type in the ERROR, a
// DETAIL whose key is on a tab-indented continuation line.
const log18 = `2026-12-02 02:08:54.319 UTC [29298] ERROR:  conflict detected on relation "public.products": conflict=insert_exists
2026-12-02 02:08:54.319 UTC [29298] DETAIL:  Key already exists in unique index "products_sku_key", modified in transaction 15784.
	Key (sku)=(REPLKIT-TEST-SYNC-CONFLICT); existing local row (8e605937-4223-4e30-bc52-2ef5b894d6a1, REPLKIT-TEST-SYNC-CONFLICT, replica, null, 1.00); remote row (2502346a-1985-4870-a883-b47f99600358, REPLKIT-TEST-SYNC-CONFLICT, primary, null, 2.00).
2026-12-02 02:08:54.319 UTC [29298] CONTEXT:  processing remote data for replication origin "pg_18359" during message type "INSERT" for replication target relation "public.products" in transaction 15630, finished at 0/1E9E5798
`

test('PostgreSQL 18: the conflict type, and the key in the same form as 15–17', () => {
  const failure = lastApplyFailure(log18, 18359)!
  assert.is(failure.conflictType, 'insert_exists')
  assert.is(failure.detail, 'Key (sku)=(REPLKIT-TEST-SYNC-CONFLICT) already exists.')
  assert.is(failure.finishLsn, '0/1E9E5798')
  assert.is(classifyApplyError(failure.error), 'key-conflict')
  assert.is(
    classifyApplyError('conflict detected on relation "public.orders": conflict=multiple_unique_conflicts'),
    'key-conflict',
  )
  assert.is(
    conflictKeys(
      'Key already exists in unique index "a". Key (id, name)=(1, f(x)); existing local row (1). Key (sku)=(Q); remote row (2).',
    ),
    'Key (id, name)=(1, f(x)) already exists. Key (sku)=(Q) already exists.',
  )
})

test('apply errors are classified by cause from their server messages', () => {
  assert.is(classifyApplyError('duplicate key value violates unique constraint "products_sku_key"'), 'key-conflict')
  assert.is(
    classifyApplyError('logical replication target relation "public.products" is missing replicated column: "color"'),
    'missing-column',
  )
  assert.is(classifyApplyError('permission denied for table products'), 'permission')
  assert.is(
    classifyApplyError(
      'could not connect to the publisher: connection to server at "127.0.0.1", port 54321 failed: FATAL:  password authentication failed for user "replicator"',
    ),
    'cannot-connect',
  )
  assert.is(
    classifyApplyError('could not receive data from WAL stream: server closed the connection unexpectedly'),
    'connection-lost',
  )
  assert.is(classifyApplyError('something new'), 'other')
})

test('a connect failure logged by the apply worker is found, with its time; a missing-column CONTEXT without a relation still parses', () => {
  const text = `2026-12-01 23:42:34.417 UTC [19830] ERROR:  logical replication target relation "public.products" is missing replicated column: "color"
2026-12-01 23:42:34.417 UTC [19830] CONTEXT:  processing remote data for replication origin "pg_16540" during message type "INSERT" in transaction 760, finished at 0/1C9FBD28
2026-12-01 23:42:38.483 UTC [19952] ERROR:  could not connect to the publisher: connection to server at "127.0.0.1", port 54321 failed: FATAL:  password authentication failed for user "replicator"
`
  assert.equal(lastWorkerError(text, 'sub_replica1'), {
    error:
      'could not connect to the publisher: connection to server at "127.0.0.1", port 54321 failed: FATAL:  password authentication failed for user "replicator"',
    cause: 'cannot-connect',
    loggedAt: '2026-12-01 23:42:38.483 UTC',
  })
  const failure = lastApplyFailure(text, 16540)!
  assert.is(failure.finishLsn, '0/1C9FBD28')
  assert.is(failure.relation, null)
  assert.is(classifyApplyError(failure.error), 'missing-column')
})

test("a worker that cannot start as its subscription's owner: the FATAL of the PID whose exit is logged, not another session's", () => {
  const text = `2026-12-06 13:59:18.565 UTC [6374] LOG:  logical replication worker for subscription "sub_replica1" will restart because of a parameter change
2026-12-06 13:59:18.570 UTC [6800] FATAL:  role "someone" is not permitted to log in
2026-12-06 13:59:18.583 UTC [6809] FATAL:  role "replkit_sub" is not permitted to log in
2026-12-06 13:59:18.593 UTC [5384] LOG:  background worker "logical replication apply worker" (PID 6809) exited with exit code 1
2026-12-06 13:59:19.000 UTC [6900] FATAL:  role "client" is not permitted to log in
`
  assert.equal(lastWorkerError(text, 'sub_replica1'), {
    error: 'role "replkit_sub" is not permitted to log in',
    cause: 'owner-cannot-log-in',
    loggedAt: '2026-12-06 13:59:18.583 UTC',
  })
})

test("another subscription's worker, terminated when it was dropped, is not this subscription's error", () => {
  const text = `2026-12-06 21:04:40.000 UTC [600] ERROR:  could not connect to the publisher: connection refused
2026-12-06 21:04:49.121 UTC [620] LOG:  logical replication apply worker for subscription "sub_replica9" has started
2026-12-06 21:04:49.614 UTC [620] FATAL:  terminating logical replication worker due to administrator command
2026-12-06 21:04:49.624 UTC [32517] LOG:  background worker "logical replication worker" (PID 620) exited with exit code 1
`
  assert.is(lastWorkerError(text, 'sub_replica2')?.error, 'could not connect to the publisher: connection refused')
  assert.is(
    lastWorkerError(text, 'sub_replica9')?.error,
    'terminating logical replication worker due to administrator command',
  )
})

test('a logged failure the origin has applied past is history; one ahead of it is current', () => {
  assert.is(currentApplyFailure(log, 16598, '0/19D2B00'), null)
  assert.is(currentApplyFailure(log, 16598, '0/19D2A80')?.finishLsn, '0/19D2B00')
  assert.is(currentApplyFailure(log, 16598, null)?.finishLsn, '0/19D2B00')
  assert.ok(lsnNumber('1/0') > lsnNumber('0/FFFFFFFF'))
})

test('a trigger on the replica that raises: the CONTEXT entry (continued on a tab line) gives the failure and its function', () => {
  const log = [
    '2026-12-05 16:54:52.476 UTC [4980] ERROR:  frozen here',
    '2026-12-05 16:54:52.476 UTC [4980] CONTEXT:  PL/pgSQL function public.refuse() line 1 at RAISE',
    '\tprocessing remote data for replication origin "pg_16726" during message type "INSERT" for replication target relation "public.products" in transaction 14480, finished at 0/1813ED50',
    '2026-12-05 16:54:52.509 UTC [21814] LOG:  background worker "logical replication worker" (PID 4980) exited with exit code 1',
  ].join('\n')
  const failure = lastApplyFailure(log, 16726)!
  assert.equal(
    [failure.error, failure.context, failure.relation, failure.finishLsn, failure.remoteXid],
    ['frozen here', 'PL/pgSQL function public.refuse() line 1 at RAISE', 'public.products', '0/1813ED50', '14480'],
  )
  assert.is(classifyApplyError(failure.error, failure.context), 'trigger')
  assert.is(classifyApplyError('new row for relation "products" violates check constraint "cheap"'), 'constraint')
  assert.is(classifyApplyError('something nobody has seen before'), 'other')
})

test.run()
