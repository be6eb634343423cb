// make replicate — runbook step 3 as PostgreSQL really behaves: preflight, wal_level (restart),
// least-privilege role, pg_hba, TLS, publication, subscriptions, initial copy, catch-up.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { type NodeSpec, loadConfig } from './lib/config.js'
import { type Sql, connectChecked } from './lib/db.js'
import { ReplkitError } from './lib/errors.js'
import { isLocalClusterNode, localNode, restartNode } from './lib/local-cluster.js'
import { type Preflight, preflight, roleState } from './lib/preflight.js'
import {
  ensureLocalHba, hbaLines, qualifiedTables, replicatorPassword, subscriptionConninfo, subscriptionDiagnostics,
  subscriptionName, waitForCatchup, waitForSync,
} from './lib/replication.js'
import { main, mark } from './lib/report.js'
import { scramMatches, scramVerifier } from './lib/scram.js'
import { applySchemaFile, schemaFiles, schemaPlan } from './lib/schema.js'
import { runSqlFile } from './lib/sql-files.js'
import { Steps } from './lib/steps.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('replicate')
  .usage('$0 [--dry-run] [--timeout SECONDS] [--truncate-replicas --yes]\n\nSet up logical replication from the PRIMARY to every replica; safe to re-run.')
  .option('dry-run', { type: 'boolean', default: false, describe: 'print every statement it would run, per node; change nothing' })
  .option('timeout', { type: 'number', default: 60, describe: 'seconds to wait for the initial copy and for catch-up' })
  .option('truncate-replicas', { type: 'boolean', default: false, describe: 'empty a replica\'s tables before its first subscription (needs --yes)' })
  .option('yes', { type: 'boolean', default: false, describe: 'confirm --truncate-replicas' })
  .strict()
  .help()
  .parse()

const config = loadConfig()
const steps = new Steps()
const dryRun = argv.dryRun
const timeoutMs = argv.timeout * 1000

const runFile = (node: NodeSpec, file: string, vars: Record<string, string>, secretVars?: Record<string, string>) =>
  runSqlFile(node, `sql/replication/${file}`, { vars, secretVars, dryRun })

async function walLevelStep(primary: Sql, facts: Preflight) {
  const need = { senders: config.replicas.length + 2, slots: config.replicas.length + 2 }
  const p = facts.nodes.primary
  if (p.walLevel === 'logical' && p.maxWalSenders >= need.senders && p.maxReplicationSlots >= need.slots) {
    return steps.ok(`primary: wal_level = logical, max_wal_senders = ${p.maxWalSenders}, max_replication_slots = ${p.maxReplicationSlots}`, false)
  }
  await runFile(config.primary, '010_wal_level.sql', {
    max_wal_senders: String(Math.max(p.maxWalSenders, need.senders)),
    max_replication_slots: String(Math.max(p.maxReplicationSlots, need.slots)),
  })
  if (dryRun) return steps.ok(`primary: would set wal_level = logical (was ${p.walLevel}) and restart the server`, true)
  if (!isLocalClusterNode(config, config.primary)) {
    throw new ReplkitError(`primary: wal_level = logical is set but needs a restart (a reload does not apply it); restart the server, e.g. "sudo systemctl restart postgresql" or "pg_ctl restart -D <data directory>", then run make replicate again`, 2)
  }
  await primary.end()
  await restartNode(config, localNode(config, config.primary))
  const check = await connectChecked(config.primary)
  const [{ wal_level }] = await check`show wal_level`
  await check.end()
  if (wal_level !== 'logical') throw new ReplkitError(`primary: wal_level is still ${wal_level} after the restart`, 2)
  steps.ok(`primary: wal_level was ${p.walLevel}; set to logical and restarted (SHOW wal_level = ${wal_level})`, true)
}

async function roleStep(primary: Sql, password: string) {
  const role = await roleState(primary, config.replicatorUser)
  const attributesRight = role.exists && role.login && role.replication && !role.superuser
  if (!attributesRight) await runFile(config.primary, '020_role.sql', { role: config.replicatorUser })
  const passwordRight = role.exists && scramMatches(role.verifier, password)
  if (!passwordRight) {
    if (dryRun) console.log(`-- primary: ALTER ROLE ${config.replicatorUser} PASSWORD '<SCRAM-SHA-256 verifier of the replication password>'`)
    else await primary.unsafe(`alter role "${config.replicatorUser}" password '${scramVerifier(password)}'`)
  }
  const grantsRight = role.exists && role.missingGrants(config.tables).length === 0 && role.extraGrants(config.tables).length === 0
  if (!grantsRight) {
    await runFile(config.primary, '030_grants.sql', { role: config.replicatorUser, dbname: config.primary.database, tables: qualifiedTables(config) })
  }
  const changed = !attributesRight || !passwordRight || !grantsRight
  steps.ok(`primary: role ${config.replicatorUser}: LOGIN REPLICATION, not superuser, SCRAM password, SELECT on ${config.tables.length} published tables only`, changed)
}

async function hbaStep() {
  const lines = hbaLines(config)
  if (!isLocalClusterNode(config, config.primary)) {
    steps.warn(`primary: not the local cluster — make sure its pg_hba.conf has these lines, above any broader rule, then reload:\n${lines.map(l => `      ${l}`).join('\n')}`)
    return
  }
  const changed = await ensureLocalHba(config, lines, dryRun)
  if (changed && dryRun) console.log(`-- primary: pg_hba.conf replication block:\n${lines.map(l => `   ${l}`).join('\n')}`)
  steps.ok(`primary: pg_hba allows ${config.replicatorUser} over TLS only (hostssl … scram-sha-256)${changed && !dryRun ? '; reloaded' : ''}`, changed)
}

async function subscriptionStep(replica: NodeSpec, sql: Sql, password: string): Promise<boolean> {
  const name = subscriptionName(replica)
  const conninfo = subscriptionConninfo(config, password)
  const [existing] = await sql`select subenabled, subconninfo, subpublications from pg_subscription where subname = ${name}`
  if (existing && !existing.subenabled) {
    steps.warn(`${replica.name}: ${name} exists but is disabled — left alone; see make check, then ALTER SUBSCRIPTION ${name} ENABLE or resync with make sync`)
    return false
  }
  if (existing && existing.subconninfo === conninfo) {
    steps.ok(`${replica.name}: ${name} exists and is enabled`, false)
    return true
  }
  if (!existing && !(await readyForInitialCopy(replica, sql))) return false
  await runFile(replica, '050_subscription.sql', { subscription: name, publication: config.publication }, { conninfo })
  steps.ok(`${replica.name}: ${existing ? `${name} pointed at the new connection` : `${name} created (copy_data = true, sslmode=${/sslmode=(\S+)/.exec(conninfo)?.[1]})`}`, true)
  return true
}

/** A new subscription copies every table: rows already there would collide with the copy. */
async function readyForInitialCopy(replica: NodeSpec, sql: Sql): Promise<boolean> {
  const probe = config.tables.map(t => `select '${t}' as t where exists (select 1 from public.${t})`).join(' union all ')
  const occupied = (await sql.unsafe(probe)).map(r => r.t as string)
  if (occupied.length === 0) return true
  if (!argv.truncateReplicas || !argv.yes) {
    steps.fail(`${replica.name}: has no subscription yet but already holds rows in ${occupied.join(', ')}; the initial copy would hit duplicate keys. Re-run with --truncate-replicas --yes to empty its tables first`)
    return false
  }
  await runFile(replica, '045_truncate_replica.sql', { tables: qualifiedTables(config) })
  steps.ok(`${replica.name}: emptied ${qualifiedTables(config)} before the initial copy (--truncate-replicas)`, true)
  return true
}

main(async () => {
  const password = await replicatorPassword(config, !dryRun)
  const facts = await preflight(config)
  for (const line of facts.report) mark.ok(line)
  if (facts.problems.length) {
    for (const p of facts.problems) steps.fail(p)
    throw new ReplkitError(`preflight failed: ${steps.failed} problem(s) above; nothing was changed`, 2)
  }

  // DDL is not replicated: a replica without the schema gets it from sql/schema; drift stops the run.
  const files = await schemaFiles()
  for (const replica of config.replicas) {
    const drift = facts.drift[replica.name]
    if (drift === 'missing') {
      const replicaSql = await connectChecked(replica)
      const plan = await schemaPlan(replicaSql, files)
      await replicaSql.end()
      for (const step of plan.filter(s => s.state === 'pending')) if (!dryRun) await applySchemaFile(replica, step)
      steps.ok(`${replica.name}: schema ${dryRun ? 'would be applied' : 'applied'} from sql/schema (DDL is not replicated)`, true)
    } else if (drift.length) {
      for (const d of drift) steps.fail(`${replica.name}: schema drift: ${d}`)
      throw new ReplkitError(`${replica.name}: its schema differs from the PRIMARY's; fix the drift, then run make replicate again`, 2)
    } else {
      steps.ok(`${replica.name}: schema matches the PRIMARY column for column`, false)
    }
  }

  let primary = await connectChecked(config.primary)
  await walLevelStep(primary, facts)
  primary = await connectChecked(config.primary)
  try {
    await roleStep(primary, password)
    await hbaStep()
    if (facts.nodes.primary.ssl !== 'on') throw new ReplkitError('primary: ssl is off, but subscriptions connect with sslmode=require', 2)
    steps.ok('primary: ssl = on (subscriptions use sslmode=require)', false)

    const [pub] = await primary`select count(*)::int as n from pg_publication where pubname = ${config.publication}`
    const published = (await primary`select schemaname || '.' || tablename as t from pg_publication_tables where pubname = ${config.publication} order by 1`).map(r => r.t)
    const wanted = qualifiedTables(config).split(', ').sort()
    const pubRight = pub.n === 1 && JSON.stringify(published) === JSON.stringify(wanted)
    if (!pubRight) await runFile(config.primary, '040_publication.sql', { publication: config.publication, tables: qualifiedTables(config) })
    steps.ok(`primary: publication ${config.publication} FOR TABLE ${config.tables.join(', ')}${pub.n === 1 && !pubRight ? ' (table list converged)' : ''}`, !pubRight)

    // Create every subscription first, then wait for their initial copies together: the copies
    // run side by side instead of one replica after the other.
    const created: { replica: NodeSpec; sql: Sql }[] = []
    let subscribed: string[] = []
    try {
      for (const replica of config.replicas) {
        const sql = await connectChecked(replica)
        let waitForIt = false
        try {
          waitForIt = await subscriptionStep(replica, sql, password)
        } finally {
          if (waitForIt) created.push({ replica, sql })
          else await sql.end()
        }
      }
      const started = Date.now()
      const ready = dryRun ? [] : await Promise.all(created.map(async ({ replica, sql }) => {
        const name = subscriptionName(replica)
        const synced = await waitForSync(sql, name, timeoutMs)
        return { replica, name, ms: Date.now() - started, diagnostics: synced ? null : await subscriptionDiagnostics(sql, name) }
      }))
      for (const r of ready) {
        if (r.diagnostics) steps.fail(`${r.replica.name}: initial copy of ${r.name} not ready after ${argv.timeout} s\n${r.diagnostics}`)
        else steps.verify(`${r.replica.name}: every table of ${r.name} is ready (r/s) after ${r.ms} ms`)
      }
      subscribed = ready.filter(r => !r.diagnostics).map(r => r.name)
    } finally {
      await Promise.all(created.map(c => c.sql.end()))
    }

    if (!dryRun && subscribed.length) {
      const started = Date.now()
      const behind = await waitForCatchup(primary, subscribed, timeoutMs)
      if (behind.length) steps.fail(`catch-up: ${behind.join(', ')} did not replay the PRIMARY's current LSN within ${argv.timeout} s (see make check)`)
      else steps.verify(`catch-up: ${subscribed.join(', ')} replayed the PRIMARY's current LSN in ${Date.now() - started} ms`)
      const tls = await primary`
        select r.application_name as name, s.version from pg_stat_replication r join pg_stat_ssl s using (pid)
        where r.application_name = any(${subscribed}) and s.ssl`
      if (tls.length === subscribed.length) steps.verify(`TLS: ${tls.map(t => `${t.name} streams over ${t.version}`).join(', ')}`)
      else steps.fail(`TLS: ${subscribed.filter(s => !tls.some(t => t.name === s)).join(', ')} not streaming over TLS`)
    }
  } finally {
    await primary.end()
  }

  const nothing = steps.changed === 0 && steps.failed === 0 && steps.warnings === 0
  console.log(`\n${nothing ? 'nothing to change: replication already in place — ' : ''}${steps.tally(dryRun)}`)
  return steps.exitCode()
})

