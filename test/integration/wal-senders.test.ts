// make replicate copies its new replicas side by side only as far as the PRIMARY's walsenders
// allow: each copy in flight holds two at its peak (its snapshot's session, CREATE SUBSCRIPTION's
// connection). With max_wal_senders at make replicate's own size (a replica each and two spare)
// and one walsender already taken, copying both replicas at once asked for five of four and
// CREATE SUBSCRIPTION failed ("number of requested standby connections exceeds max_wal_senders").
import { type ChildProcess, spawn } from 'node:child_process'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { clientEnv } from '../../scripts/lib/libpq.js'
import { config, db, query, runScript, until } from './helpers.js'
import { ensureReplication, removeReplication, waitForCatchup } from './replication-fixture.js'

const senders = suite('walsenders for the copies')
const SENDERS = config.replicas.length + 2
const taken: ChildProcess[] = []
const TAKEN = 'walsender taken by a test'

async function restartPrimary(): Promise<void> {
  const run = await runScript('cluster', ['restart', config.primary.name])
  assert.is(run.code, 0, run.stdout + run.stderr)
}

const walsenders = async () =>
  (
    await query<{ n: number }>(
      config.primary,
      `select count(*)::int as n from pg_stat_activity where backend_type = 'walsender' and application_name = '${TAKEN}'`,
    )
  )[0].n

senders.before(async () => {
  await removeReplication({ keepWalLevel: true })
  await query(config.primary, `alter system set max_wal_senders = ${SENDERS}`)
  await restartPrimary()
  await takeWalsenders(1)
})

/** Walsenders taken by someone else (a standby, pg_receivewal): idle replication sessions, `n` in all. */
async function takeWalsenders(n: number): Promise<void> {
  while (taken.length < n)
    taken.push(
      spawn('sh', ['-c', 'sleep 300 | exec psql -X -q -d replication=database'], {
        env: { ...clientEnv(config.primary), PGAPPNAME: TAKEN },
        detached: true,
        stdio: 'ignore',
      }),
    )
  while (taken.length > n) process.kill(-taken.pop()!.pid!, 'SIGKILL')
  await until(`${n} other walsenders`, 10_000, async () => (await walsenders()) === n)
}

senders.after(async () => {
  await takeWalsenders(0)
  // The subscriptions go first: a PRIMARY restarted under them counts as an apply error in their
  // statistics, which make verify requires to be none.
  await removeReplication({ keepWalLevel: true })
  await query(config.primary, 'alter system reset max_wal_senders')
  await restartPrimary()
  await ensureReplication()
})

senders('max_wal_senders = a replica each and two spare, one taken: both replicas copied, one at a time', async () => {
  const run = await runScript('replicate')
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.not.match(run.stdout, /exceeds max_wal_senders/)
  for (const replica of config.replicas)
    assert.match(run.stdout, new RegExp(`${replica.name}: sub_${replica.name} created`))
  await waitForCatchup(60_000)
  const primary = db()
  try {
    const [{ n }] =
      await primary`select count(*)::int as n from pg_stat_replication where application_name like 'sub_%'`
    assert.is(n, config.replicas.length, 'every subscription streams')
  } finally {
    await primary.end()
  }
})

senders(
  'every walsender taken: the copy is refused naming them, nothing is written; freed, the same command copies',
  async () => {
    await removeReplication({ keepWalLevel: true })
    await takeWalsenders(SENDERS - 1)
    const refused = await runScript('replicate')
    assert.is.not(refused.code, 0, refused.stdout)
    assert.match(refused.stdout, /replication connection to the PRIMARY \(could not connect to the publisher/)
    assert.match(
      refused.stdout,
      new RegExp(`the PRIMARY now has \\d+ of max_wal_senders = ${SENDERS} walsenders in use`),
    )
    for (const replica of config.replicas) {
      const [{ subs, rows }] = await query<{ subs: number; rows: number }>(
        replica,
        `select (select count(*) from pg_subscription)::int as subs, (select count(*) from public.products)::int as rows`,
      )
      assert.equal({ subs, rows }, { subs: 0, rows: 0 }, `nothing written on ${replica.name}`)
    }
    // The printed way out: end the walsenders that are not needed.
    await takeWalsenders(1)
    const run = await runScript('replicate')
    assert.is(run.code, 0, run.stdout + run.stderr)
    await waitForCatchup(60_000)
  },
)

senders.run()
