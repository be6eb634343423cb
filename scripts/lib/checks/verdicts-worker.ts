// A replica's apply worker: enabled, streaming, running, and when the PRIMARY streams nothing to
// it, why — schema drift, an apply failure, a refused login as the replication role or as the
// subscription's owner (each read from the replica's own log, with its fix). Split from
// verdicts-replica.ts; both read a replica's Scene (figures.ts).
import { applyProblem, causeFix, type Failure } from './apply-cause.js'
import { type Scene, blockingApplyFailure } from './figures.js'

/** Whether the subscription runs: disabled, not streaming (and why), stopped by an error, no worker. */
export function workerVerdicts(scene: Scene): void {
  const { replica, sub, name, R, breaking, lag, say } = scene
  const failure = replica.log?.applyFailure ?? null
  const blocking = blockingApplyFailure(replica, lag)
  if (!sub.enabled) {
    say(
      'SUBSCRIPTION_DISABLED',
      'critical',
      `${name} is disabled`,
      failure && sub.applyErrorCount > 0
        ? `${causeFix(R, name, failure, breaking)}; then ALTER SUBSCRIPTION ${name} ENABLE on ${R}`
        : `ALTER SUBSCRIPTION ${name} ENABLE on ${R}`,
    )
  } else if (scene.facts.primary.up && !scene.sender) {
    notStreaming(scene, blocking)
  } else if (sub.applyErrorCount > 0 && blocking) {
    // Before "no worker": a worker that just died on this failure is about to die on it again.
    say('APPLY_FAILURE', 'critical', applyProblem(name, blocking), causeFix(R, name, blocking, breaking))
  } else if (sub.workerPid === null) {
    say(
      'WORKER_NOT_RUNNING',
      'critical',
      `${name} is enabled but no apply worker runs`,
      `read ${R}'s log for why the worker exits; check max_logical_replication_workers`,
    )
  }
}

/** Enabled but the PRIMARY streams nothing to it: drift, a failing worker, a refused login, or unknown. */
function notStreaming({ replica, sub, name, R, breaking, say }: Scene, blocking: Failure | null): void {
  const logged = replica.log?.workerError ?? null
  if (breaking.length) {
    say(
      'APPLY_STOPPED_BY_DRIFT',
      'critical',
      `${name} is not streaming: apply stops on the schema drift above`,
      'align the schema with the DDL above; apply resumes by itself',
    )
  } else if (blocking && sub.applyErrorCount > 0) {
    say('APPLY_FAILURE', 'critical', applyProblem(name, blocking), causeFix(R, name, blocking, breaking))
  } else if (logged?.cause === 'cannot-connect') {
    say(
      'SUBSCRIPTION_CANNOT_CONNECT',
      'critical',
      `${name} cannot connect to the PRIMARY as the replication role: ${logged.error.replace(/^could not connect to the publisher: /, '')} (${R}'s log, ${logged.loggedAt})`,
      `make replicate (sets the role's password from REPLICATOR_PASSWORD and its pg_hba lines on the PRIMARY, and points ${name} at them); nothing is lost meanwhile: the slot keeps every change`,
    )
  } else if (logged?.cause === 'owner-cannot-log-in') {
    const owner = /^role "([^"]+)"/.exec(logged.error)![1]
    say(
      'SUBSCRIPTION_OWNER_CANNOT_LOG_IN',
      'critical',
      `${name}'s apply worker cannot start: it logs in as the subscription's owner, and ${logged.error} (${R}'s log, ${logged.loggedAt})`,
      `on ${R}, as a superuser: ALTER ROLE "${owner}" LOGIN; apply resumes by itself within seconds, and nothing is lost meanwhile: the slot keeps every change`,
    )
  } else {
    say(
      'NOT_STREAMING',
      'critical',
      `${name} is enabled but the PRIMARY has no walsender for it: it is not streaming`,
      `read ${R}'s log (${replica.log?.source ?? 'its server log'}); a worker that cannot start (max_logical_replication_workers) or cannot connect says so there`,
    )
  }
}

/** SUBSCRIPTION_OWNER set, and the subscription owned by another role (re-created by hand, or before the setting). */
export function ownerVerdict({ facts, sub, name, say }: Scene): void {
  const wanted = facts.subscriptionOwner
  if (!wanted || sub.owner === wanted) return
  say(
    'SUBSCRIPTION_OWNER_DIFFERS',
    'warning',
    `${name} is owned by ${sub.owner}, not SUBSCRIPTION_OWNER ${wanted}`,
    `make replicate (hands it over to ${wanted}, with what it needs to apply as it)`,
  )
}
