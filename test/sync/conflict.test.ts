// The apply failure read from a replica's server log: key, relation and finish LSN.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lastApplyFailure } from '../../scripts/lib/sync/conflict.js'

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

test('the last failure of the subscription\'s origin, with its own ERROR and DETAIL lines', () => {
  assert.equal(lastApplyFailure(log, 16598), {
    error: 'duplicate key value violates unique constraint "products_sku_key"',
    detail: 'Key (sku)=(DUP-1) already exists.',
    relation: 'public.products',
    messageType: 'INSERT',
    remoteXid: '760',
    finishLsn: '0/19D2B00',
    loggedAt: '2026-11-24 00:34:40.234 UTC',
  })
})

test('another subscription\'s failures are not this one\'s; no failure gives null', () => {
  assert.is(lastApplyFailure(log, 99999)?.finishLsn, '0/FF')
  assert.is(lastApplyFailure(log, 1), null)
  assert.is(lastApplyFailure('', 16598), null)
})

test.run()
