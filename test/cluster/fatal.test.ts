import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lastFatal, lastStartFailure } from '../../scripts/lib/cluster/local-cluster.js'

test("a node that does not start is reported with its own log's FATAL line and HINT", async () => {
  const log = join(await mkdtemp(join(tmpdir(), 'replkit-fatal-')), 'primary.log')
  await writeFile(
    log,
    [
      '2026-12-05 16:00:00.000 UTC [1] LOG:  starting PostgreSQL 15.15',
      '2026-12-05 16:00:00.010 UTC [1] FATAL:  logical replication slot "sub_replica1" exists, but wal_level < logical',
      '2026-12-05 16:00:00.010 UTC [1] HINT:  Change wal_level to be logical or higher.',
      '2026-12-05 16:00:00.020 UTC [1] LOG:  startup process (PID 2) exited with exit code 1',
    ].join('\n'),
  )
  assert.is(
    await lastFatal(log),
    'FATAL: logical replication slot "sub_replica1" exists, but wal_level < logical HINT: Change wal_level to be logical or higher.',
  )
  assert.is(await lastFatal(join(tmpdir(), 'no-such-replkit.log')), null)
})

test('only a start that never became ready is a start failure: an old FATAL from before a good start is history', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replkit-start-'))
  const failed = join(dir, 'failed.log')
  const started = join(dir, 'started.log')
  const refused = 'FATAL:  logical replication slot "sub_replica1" exists, but wal_level < logical'
  await writeFile(
    failed,
    [
      '2026-12-05 15:00:00.000 UTC [1] LOG:  starting PostgreSQL 15.15',
      '2026-12-05 15:00:00.100 UTC [1] LOG:  database system is ready to accept connections',
      '2026-12-05 15:59:00.000 UTC [9] FATAL:  the database system is shutting down',
      '2026-12-05 16:00:00.000 UTC [1] LOG:  starting PostgreSQL 15.15',
      `2026-12-05 16:00:00.010 UTC [1] ${refused}`,
    ].join('\n'),
  )
  await writeFile(
    started,
    [
      '2026-12-05 16:00:00.000 UTC [1] LOG:  starting PostgreSQL 15.15',
      '2026-12-05 16:00:00.100 UTC [1] LOG:  database system is ready to accept connections',
      '2026-12-05 16:59:00.000 UTC [9] FATAL:  the database system is shutting down',
      '2026-12-05 16:59:00.100 UTC [1] LOG:  database system is shut down',
    ].join('\n'),
  )
  assert.is(
    await lastStartFailure(failed),
    'FATAL: logical replication slot "sub_replica1" exists, but wal_level < logical',
  )
  assert.is(await lastStartFailure(started), null)
  assert.is(await lastStartFailure(join(dir, 'none.log')), null)
})

test.run()
