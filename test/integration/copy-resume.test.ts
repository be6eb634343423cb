// make replicate's parallel copy killed part-way (SIGKILL, the whole process group): the next run
// resumes it from the record on the replica while the snapshot is still held, copying only the
// parts not yet in; once the snapshot is gone it empties what the killed run copied and starts
// over. Either way every node ends with the PRIMARY's rows, including those written in between.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { repoRoot } from '../../scripts/lib/config.js'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'
import { config, db, query, runScript, until } from './helpers.js'
import { ensureReplication, removeReplication, waitForCatchup } from './replication-fixture.js'

const resume = suite('a killed parallel copy, resumed or started over')
const [replica1] = config.replicas
const primary = db()
const ROWS = 200_000
/** Parts of 1 MB: products is cut into dozens, copied one at a time, so the kill lands part-way. */
const COPY_ARGS = ['--copy-method', 'parallel', '--copy-jobs', '1', '--split-tables-larger-than', '1']

const partsIn = async () =>
  (
    await query<{ copied: number; parts: number }>(
      replica1,
      `select count(copied_at)::int as copied, count(*)::int as parts from replkit.copy_parts`,
    ).catch(() => [{ copied: 0, parts: 0 }])
  )[0]

/** make replicate started, then killed with its whole process group once a few parts are in on replica1. */
async function killPartWay(): Promise<{ copied: number; parts: number }> {
  const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/replicate.ts', ...COPY_ARGS], {
    cwd: repoRoot,
    detached: true,
    stdio: 'ignore',
  })
  const exited = new Promise(resolve => child.once('exit', resolve))
  try {
    await until('a few parts to be in on replica1', 60_000, async () => (await partsIn()).copied >= 3)
  } finally {
    process.kill(-child.pid!, 'SIGKILL')
    await exited
  }
  const left = await partsIn()
  assert.ok(left.copied < left.parts, `killed part-way: ${left.copied} of ${left.parts} parts in`)
  return left
}

async function sameRowsEverywhere(): Promise<void> {
  await waitForCatchup(60_000)
  const [reference, ...others] = await Promise.all(
    [config.primary, ...config.replicas].map(async node => {
      const sql = db(node)
      try {
        return JSON.stringify(await fingerprints(sql, config.tables))
      } finally {
        await sql.end()
      }
    }),
  )
  for (const [i, f] of others.entries()) assert.is(f, reference, `${config.replicas[i].name} holds the PRIMARY's rows`)
  assert.equal(await partsIn(), { copied: 0, parts: 0 }, 'the record of the parts is gone once the slot is taken over')
  const holders = await primary`select pid from pg_stat_activity where application_name like 'replkit snapshot %'`
  assert.is(holders.length, 0, 'no session holds a snapshot any more')
}

resume.before(async () => {
  await removeReplication({ keepWalLevel: true })
  await primary`
    insert into products (sku, title, price, category_id)
    select 'RES-' || lpad(g::text, 7, '0'), 'Resumed copy ' || g, g % 100, (select id from categories order by slug limit 1)
      from generate_series(1, ${ROWS}) as g`
  await primary`vacuum analyze products`
})

resume.after(async () => {
  await primary`delete from products where sku like 'RES-%'`
  await ensureReplication()
  await waitForCatchup(60_000)
  await primary.end()
})

resume('killed part-way: the next run copies only the parts not in, from the same snapshot', async () => {
  const left = await killPartWay()
  await primary`update products set price = price + 1 where sku = 'RES-0000001'`
  const run = await runScript('replicate')
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /replica1: resuming the copy a killed run left: \d+ of \d+ parts are in/)
  const [, kept] =
    /replica1: copied 6 tables in \d+ parts \((\d+) of them copied by the killed run\)/.exec(run.stdout) ?? []
  assert.ok(Number(kept) >= left.copied, run.stdout)
  await sameRowsEverywhere()
})

resume('killed, and its snapshot gone: the next run empties what it copied and starts over', async () => {
  await removeReplication({ keepWalLevel: true })
  await killPartWay()
  await primary`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'replkit snapshot %'`
  const run = await runScript('replicate')
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.match(
    run.stdout,
    /replica1: the copy a killed run left cannot resume \(its snapshot is no longer held\): emptied .*products.* to copy again/,
  )
  await sameRowsEverywhere()
})

resume.run()
