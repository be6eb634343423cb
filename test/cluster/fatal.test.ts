import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lastFatal } from '../../scripts/lib/cluster/local-cluster.js'

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

test.run()
