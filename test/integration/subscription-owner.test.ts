// SUBSCRIPTION_OWNER on a PostgreSQL 17 cluster of its own: every subscription replkit makes
// (make replicate, make sync's atomic copy, a switchover's followers) is owned by a login role
// that is not a superuser, with password_required as PostgreSQL needs; rows and canaries apply
// as it. A missing role is refused before anything is written; an owner that cannot log in, and a
// subscription owned by another role, are named by make check, and their printed fixes, run as
// printed, lose nothing.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { allEqual, check, discard, mix, run, sql } from './mix.js'
import { runScript, until } from './helpers.js'

const owner = suite('a subscription owner that is not a superuser (16+)')
const ROLE = 'replkit_sub'

/** Owner, password_required and run_as_owner of the subscription on each node that has one. */
const owners = async (m: Awaited<ReturnType<typeof mix>>) =>
  (
    await Promise.all(
      (['primary', 0, 1] as const).map(n =>
        sql(
          m,
          n,
          'select subname, subowner::regrole::text as owner, subpasswordrequired as pw from pg_subscription order by 1',
        ),
      ),
    )
  )
    .flat()
    .map(r => `${r.subname}: ${r.owner}${r.pw ? '' : ' (no password required)'}`)
    .sort()

owner(
  'replicate, a fault and its printed fix, sync and a switchover there and back: every subscription owned by the role, nothing lost',
  async () => {
    const m = await mix('17', 55491, { SUBSCRIPTION_OWNER: ROLE })
    try {
      await run(m, 'cluster', ['up'])
      await run(m, 'schema')
      await run(m, 'seed')
      const refused = await runScript('replicate', ['--restart-primary'], m.env)
      assert.is(refused.code, 2, refused.stdout + refused.stderr)
      assert.match(refused.stdout, new RegExp(`replica1: SUBSCRIPTION_OWNER ${ROLE} does not exist`))
      assert.match(refused.stderr, /preflight failed: .*nothing was changed/)
      assert.equal(await sql(m, 'primary', 'select pubname from pg_publication'), [], 'nothing was written')

      for (const n of ['primary', 0, 1] as const) await sql(m, n, `create role ${ROLE} login`)
      const replicated = await run(m, 'replicate', ['--restart-primary'])
      assert.match(
        replicated.stdout,
        new RegExp(
          `replica1: sub_replica1 owned by ${ROLE} \\(not a superuser; password_required = true, run_as_owner = true`,
        ),
      )
      assert.equal(await owners(m), [`sub_replica1: ${ROLE}`, `sub_replica2: ${ROLE}`])
      const again = await run(m, 'replicate')
      assert.match(again.stdout, /nothing to change/)

      // The fault: the owner loses LOGIN, the worker restarts and cannot start; a row is written.
      await sql(m, 0, `alter role ${ROLE} nologin`)
      await sql(m, 0, 'alter subscription sub_replica1 disable')
      await sql(m, 0, 'alter subscription sub_replica1 enable')
      await sql(m, 'primary', "insert into categories (name, slug) values ('Owner drill', 'owner-drill')")
      let fix = ''
      await until('make check to name the owner that cannot log in', 30_000, async () => {
        const report = await check(m)
        const v = report.verdicts.find(x => x.code === 'SUBSCRIPTION_OWNER_CANNOT_LOG_IN')
        fix = v?.fix ?? ''
        return report.code === 2 && v?.node === 'replica1'
      })
      const statement = /ALTER ROLE "[^"]+" LOGIN/.exec(fix)?.[0]
      assert.ok(statement, fix)
      await sql(m, 0, statement!)
      await until('make check OK after the printed fix', 30_000, async () => (await check(m)).code === 0)
      assert.equal(await sql(m, 0, "select count(*)::int as n from categories where slug = 'owner-drill'"), [{ n: 1 }])
      await sql(m, 0, 'select pg_stat_reset_subscription_stats(oid) from pg_subscription')

      const synced = await run(m, 'sync-replicas', ['--replica', 'replica1', '--copy', '--yes'])
      assert.match(synced.stdout, new RegExp(`replica1: sub_replica1 owned by ${ROLE}`))
      const there = await run(m, 'switchover', ['--to', 'replica1', '--yes'])
      assert.match(there.stdout, new RegExp(`primary: subscribes to replica1 .*; owned by ${ROLE}\\)`))
      assert.equal(await owners(m), [`sub_primary: ${ROLE}`, `sub_replica2: ${ROLE}`])
      await run(m, 'switchover', ['--to', 'primary', '--yes'])
      assert.equal(await owners(m), [`sub_replica1: ${ROLE}`, `sub_replica2: ${ROLE}`])

      // Another owner (a subscription handed back by hand): a warning, and its printed fix.
      await sql(m, 1, 'alter subscription sub_replica2 owner to postgres')
      const drifted = await check(m)
      const owned = drifted.verdicts.find(v => v.code === 'SUBSCRIPTION_OWNER_DIFFERS')
      assert.is(drifted.code, 1, JSON.stringify(drifted.verdicts))
      assert.is(owned?.node, 'replica2')
      assert.match(owned!.fix, /^make replicate /)
      await run(m, 'replicate')
      assert.equal(await owners(m), [`sub_replica1: ${ROLE}`, `sub_replica2: ${ROLE}`])
      assert.is((await check(m)).code, 0)
      await allEqual(m)
      const verify = await runScript('verify', ['--json', '--load-seconds', '3'], m.env)
      assert.is(verify.code, 0, verify.stdout.slice(0, 3000))
    } finally {
      await discard(m)
    }
  },
)

owner.run()
