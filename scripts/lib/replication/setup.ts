// The steps of make replicate, each checking what is there before changing it, so a second run
// changes nothing. One object carries what every step needs: config, the ✓/✗ tally, dry-run.
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { ReplkitError } from '../errors.js'
import { isLocalClusterNode, localNode, restartNode } from '../cluster/local-cluster.js'
import { type Preflight, roleState } from './preflight.js'
import {
  ensureLocalHba, hbaLines, qualifiedTables, subscriptionConninfo, subscriptionDiagnostics, subscriptionName,
  waitForCatchup, waitForSync,
} from './replication.js'
import { scramMatches, scramVerifier } from './scram.js'
import { applySchemaFile, schemaFiles, schemaPlan } from '../cluster/schema.js'
import { runSqlFile } from '../sql-files.js'
import type { Steps } from '../steps.js'

export interface SetupOptions {
  config: Config
  steps: Steps
  dryRun: boolean
  timeoutMs: number
  /** --truncate-replicas --yes: empty a replica's tables before its first subscription. */
  truncateReplicas: boolean
  password: string
}

export class ReplicationSetup {
  private readonly config: Config
  private readonly steps: Steps
  private readonly dryRun: boolean

  constructor(private readonly opts: SetupOptions) {
    this.config = opts.config
    this.steps = opts.steps
    this.dryRun = opts.dryRun
  }

  private runFile(node: NodeSpec, file: string, vars: Record<string, string>, secretVars?: Record<string, string>) {
    return runSqlFile(node, `sql/replication/${file}`, { vars, secretVars, dryRun: this.dryRun })
  }

  /** DDL is not replicated: a replica without the schema gets sql/schema; any drift stops the run. */
  async schemaOnReplicas(facts: Preflight): Promise<void> {
    const files = await schemaFiles()
    for (const replica of this.config.replicas) {
      const drift = facts.drift[replica.name]
      if (drift === 'missing') {
        const sql = await connectChecked(replica)
        const plan = await schemaPlan(sql, files).finally(() => sql.end())
        for (const step of plan.filter(s => s.state === 'pending')) if (!this.dryRun) await applySchemaFile(replica, step)
        this.steps.ok(`${replica.name}: schema ${this.dryRun ? 'would be applied' : 'applied'} from sql/schema (DDL is not replicated)`, true)
      } else if (drift.length) {
        for (const d of drift) this.steps.fail(`${replica.name}: schema drift: ${d}`)
        throw new ReplkitError(`${replica.name}: its schema differs from the PRIMARY's; fix the drift, then run make replicate again`, 2)
      } else {
        this.steps.ok(`${replica.name}: schema matches the PRIMARY column for column`, false)
      }
    }
  }

  async walLevel(facts: Preflight): Promise<void> {
    const { config, steps } = this
    const need = { senders: config.replicas.length + 2, slots: config.replicas.length + 2 }
    const p = facts.nodes.primary
    if (p.walLevel === 'logical' && p.maxWalSenders >= need.senders && p.maxReplicationSlots >= need.slots) {
      return steps.ok(`primary: wal_level = logical, max_wal_senders = ${p.maxWalSenders}, max_replication_slots = ${p.maxReplicationSlots}`, false)
    }
    await this.runFile(config.primary, '010_wal_level.sql', {
      max_wal_senders: String(Math.max(p.maxWalSenders, need.senders)),
      max_replication_slots: String(Math.max(p.maxReplicationSlots, need.slots)),
    })
    if (this.dryRun) return steps.ok(`primary: would set wal_level = logical (was ${p.walLevel}) and restart the server`, true)
    if (!isLocalClusterNode(config, config.primary)) {
      throw new ReplkitError(`primary: wal_level = logical is set but needs a restart (a reload does not apply it); restart the server, e.g. "sudo systemctl restart postgresql" or "pg_ctl restart -D <data directory>", then run make replicate again`, 2)
    }
    await restartNode(config, localNode(config, config.primary))
    const check = await connectChecked(config.primary)
    const [{ wal_level }] = await check`show wal_level`.finally(() => check.end())
    if (wal_level !== 'logical') throw new ReplkitError(`primary: wal_level is still ${wal_level} after the restart`, 2)
    steps.ok(`primary: wal_level was ${p.walLevel}; set to logical and restarted (SHOW wal_level = ${wal_level})`, true)
  }

  async role(primary: Sql): Promise<void> {
    const { config, opts } = this
    const role = await roleState(primary, config.replicatorUser)
    const attributesRight = role.exists && role.login && role.replication && !role.superuser
    if (!attributesRight) await this.runFile(config.primary, '020_role.sql', { role: config.replicatorUser })
    const passwordRight = role.exists && scramMatches(role.verifier, opts.password)
    if (!passwordRight) {
      if (this.dryRun) console.log(`-- primary: ALTER ROLE ${config.replicatorUser} PASSWORD '<SCRAM-SHA-256 verifier of the replication password>'`)
      else await primary.unsafe(`alter role "${config.replicatorUser}" password '${scramVerifier(opts.password)}'`)
    }
    const grantsRight = role.exists && role.missingGrants(config.tables).length === 0 && role.extraGrants(config.tables).length === 0
    if (!grantsRight) {
      await this.runFile(config.primary, '030_grants.sql', { role: config.replicatorUser, dbname: config.primary.database, tables: qualifiedTables(config) })
    }
    const changed = !attributesRight || !passwordRight || !grantsRight
    this.steps.ok(`primary: role ${config.replicatorUser}: LOGIN REPLICATION, not superuser, SCRAM password, SELECT on ${config.tables.length} published tables only`, changed)
  }

  async hba(): Promise<void> {
    const { config, steps, dryRun } = this
    const lines = hbaLines(config)
    if (!isLocalClusterNode(config, config.primary)) {
      steps.warn(`primary: not the local cluster — make sure its pg_hba.conf has these lines, above any broader rule, then reload:\n${lines.map(l => `      ${l}`).join('\n')}`)
      return
    }
    const changed = await ensureLocalHba(config, lines, dryRun)
    if (changed && dryRun) console.log(`-- primary: pg_hba.conf replication block:\n${lines.map(l => `   ${l}`).join('\n')}`)
    steps.ok(`primary: pg_hba allows ${config.replicatorUser} over TLS only (hostssl … scram-sha-256)${changed && !dryRun ? '; reloaded' : ''}`, changed)
  }

  tls(facts: Preflight): void {
    if (facts.nodes.primary.ssl !== 'on') throw new ReplkitError('primary: ssl is off, but subscriptions connect with sslmode=require', 2)
    this.steps.ok('primary: ssl = on (subscriptions use sslmode=require)', false)
  }

  async publication(primary: Sql): Promise<void> {
    const { config } = this
    const [pub] = await primary`select count(*)::int as n from pg_publication where pubname = ${config.publication}`
    const published = (await primary`select schemaname || '.' || tablename as t from pg_publication_tables where pubname = ${config.publication} order by 1`).map(r => r.t)
    const wanted = qualifiedTables(config).split(', ').sort()
    const right = pub.n === 1 && JSON.stringify(published) === JSON.stringify(wanted)
    if (!right) await this.runFile(config.primary, '040_publication.sql', { publication: config.publication, tables: qualifiedTables(config) })
    this.steps.ok(`primary: publication ${config.publication} FOR TABLE ${config.tables.join(', ')}${pub.n === 1 && !right ? ' (table list converged)' : ''}`, !right)
  }

  /**
   * Every subscription is created first, then their initial copies are awaited together (side by
   * side, not one replica after the other). Returns the subscriptions that are ready.
   */
  async subscriptions(): Promise<string[]> {
    const created: { replica: NodeSpec; sql: Sql }[] = []
    try {
      for (const replica of this.config.replicas) {
        const sql = await connectChecked(replica)
        let waitForIt = false
        try {
          waitForIt = await this.subscription(replica, sql)
        } finally {
          if (waitForIt) created.push({ replica, sql })
          else await sql.end()
        }
      }
      const started = Date.now()
      const ready = this.dryRun ? [] : await Promise.all(created.map(async ({ replica, sql }) => {
        const name = subscriptionName(replica)
        const synced = await waitForSync(sql, name, this.opts.timeoutMs)
        return { replica, name, ms: Date.now() - started, diagnostics: synced ? null : await subscriptionDiagnostics(sql, name) }
      }))
      for (const r of ready) {
        if (r.diagnostics) this.steps.fail(`${r.replica.name}: initial copy of ${r.name} not ready after ${this.opts.timeoutMs / 1000} s\n${r.diagnostics}`)
        else this.steps.verify(`${r.replica.name}: every table of ${r.name} is ready (r/s) after ${r.ms} ms`)
      }
      return ready.filter(r => !r.diagnostics).map(r => r.name)
    } finally {
      await Promise.all(created.map(c => c.sql.end()))
    }
  }

  /** True when the subscription exists (or was just created) and is enabled: worth waiting for. */
  private async subscription(replica: NodeSpec, sql: Sql): Promise<boolean> {
    const { config, steps } = this
    const name = subscriptionName(replica)
    const conninfo = subscriptionConninfo(config, this.opts.password)
    const [existing] = await sql`select subenabled, subconninfo from pg_subscription where subname = ${name}`
    if (existing && !existing.subenabled) {
      steps.warn(`${replica.name}: ${name} exists but is disabled — left alone; see make check, then ALTER SUBSCRIPTION ${name} ENABLE or resync with make sync`)
      return false
    }
    if (existing && existing.subconninfo === conninfo) {
      steps.ok(`${replica.name}: ${name} exists and is enabled`, false)
      return true
    }
    if (!existing && !(await this.readyForInitialCopy(replica, sql))) return false
    await this.runFile(replica, '050_subscription.sql', { subscription: name, publication: config.publication }, { conninfo })
    steps.ok(`${replica.name}: ${existing ? `${name} pointed at the new connection` : `${name} created (copy_data = true, sslmode=${/sslmode=(\S+)/.exec(conninfo)?.[1]})`}`, true)
    return true
  }

  /** A new subscription copies every table: rows already there would collide with the copy. */
  private async readyForInitialCopy(replica: NodeSpec, sql: Sql): Promise<boolean> {
    const { config, steps } = this
    const probe = config.tables.map(t => `select '${t}' as t where exists (select 1 from public.${t})`).join(' union all ')
    const occupied = (await sql.unsafe(probe)).map(r => r.t as string)
    if (occupied.length === 0) return true
    if (!this.opts.truncateReplicas) {
      steps.fail(`${replica.name}: has no subscription yet but already holds rows in ${occupied.join(', ')}; the initial copy would hit duplicate keys. Re-run with --truncate-replicas --yes to empty its tables first`)
      return false
    }
    await this.runFile(replica, '045_truncate_replica.sql', { tables: qualifiedTables(config) })
    steps.ok(`${replica.name}: emptied ${qualifiedTables(config)} before the initial copy (--truncate-replicas)`, true)
    return true
  }

  /** wait_for_catchup on the PRIMARY, then proof from pg_stat_ssl that every walsender uses TLS. */
  async catchUp(primary: Sql, subscribed: string[]): Promise<void> {
    if (this.dryRun || subscribed.length === 0) return
    const { steps, opts } = this
    const started = Date.now()
    const behind = await waitForCatchup(primary, subscribed, opts.timeoutMs)
    if (behind.length) steps.fail(`catch-up: ${behind.join(', ')} did not replay the PRIMARY's current LSN within ${opts.timeoutMs / 1000} s (see make check)`)
    else steps.verify(`catch-up: ${subscribed.join(', ')} replayed the PRIMARY's current LSN in ${Date.now() - started} ms`)
    const tls = await primary`
      select r.application_name as name, s.version from pg_stat_replication r join pg_stat_ssl s using (pid)
      where r.application_name = any(${subscribed}) and s.ssl`
    if (tls.length === subscribed.length) steps.verify(`TLS: ${tls.map(t => `${t.name} streams over ${t.version}`).join(', ')}`)
    else steps.fail(`TLS: ${subscribed.filter(s => !tls.some(t => t.name === s)).join(', ')} not streaming over TLS`)
  }
}
