// make replicate as one library call: preflight, then every setup step in runbook order. The
// script prints; the benchmark and the drills call this in process and read the timings.
import type { Config } from '../config.js'
import { monitorRole } from './monitor-role.js'
import { subscriptionOwners } from './subscription-owner.js'
import { type Sql, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import type { ServerAccess } from '../server-access.js'
import { Steps } from '../steps.js'
import { replicatorPassword } from './password.js'
import { preflight } from './preflight.js'
import { readOnlyReplicas } from './read-only.js'
import * as step from './setup.js'

export interface ReplicateOptions {
  dryRun: boolean
  timeoutMs: number
  truncateReplicas: boolean
  /**
   * Copies a replica that has no subscription in one transaction with its new subscription
   * (sync/replace.ts): an empty one when copyMethod is atomic, one holding rows with
   * truncateReplicas. Handed in by the caller, so replication does not reach up into sync.
   */
  copyInOneTransaction: (
    config: Config,
    primary: Sql,
    opts: Pick<step.SetupContext, 'dryRun' | 'timeoutMs' | 'truncateReplicas' | 'copyMethod'>,
    steps: Steps,
  ) => Promise<void>
  /** How a new subscription's tables are copied (default atomic: setup-context.ts). */
  copyMethod?: step.SetupContext['copyMethod']
  /** Parallel COPY pipes per replica for the parallel copy (default 2). */
  copyJobs?: number
  /** Tables larger than this many MB are copied in parts of this size (default 128). */
  copyPartMb?: number
  /** Restart the PRIMARY when restart-only settings must change; refused (nothing written) without it. */
  restartPrimary?: boolean
  /** What replkit may do to the servers besides SQL (restart, pg_hba.conf): only to those it runs. */
  servers: ServerAccess
}

export interface ReplicateResult {
  steps: Steps
  ready: step.Ready[]
  catchupMs: number | null
}

export async function replicate(config: Config, opts: ReplicateOptions, steps = new Steps()): Promise<ReplicateResult> {
  const password = await replicatorPassword(config)
  const facts = await preflight(config, { truncateReplicas: opts.truncateReplicas, publication: true })
  for (const line of facts.report) steps.note(line)
  if (facts.problems.length) {
    for (const p of facts.problems) steps.fail(p)
    throw new ReplkitError(`preflight failed: ${steps.failed} problem(s) above; nothing was changed`, EXIT.failed)
  }
  const c: step.SetupContext = {
    config,
    steps,
    password,
    ...opts,
    copyMethod: opts.copyMethod ?? 'atomic',
    copyJobs: opts.copyJobs ?? 2,
    copyPartMb: opts.copyPartMb ?? 128,
    restartPrimary: opts.restartPrimary ?? false,
  }
  step.requireRestartConsent(c, facts)
  // Its own short session: the wal_level step after it may restart the PRIMARY.
  await withNode(config.primary, primary => step.schemaOnReplicas(c, facts, primary))
  await step.walLevel(c, facts)
  return withNode(config.primary, async primary => {
    await step.role(c, primary)
    await step.hba(c)
    step.tls(c, facts)
    await step.publication(c, primary)
    await opts.copyInOneTransaction(config, primary, c, steps)
    const ready = await step.subscriptions(c, primary)
    await subscriptionOwners(c)
    await readOnlyReplicas(config.replicas, steps, c.dryRun, config.subscriptionOwner)
    await monitorRole(c)
    const catchupMs = await step.catchUp(
      c,
      primary,
      ready.map(r => r.subscription),
    )
    return { steps, ready, catchupMs }
  })
}
