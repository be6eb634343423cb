// What a switchover is asked to do: read by every step of it (switchover.ts, pause.ts).
import type { ServerAccess } from '../server-access.js'

export interface SwitchoverOptions {
  to: string
  dryRun: boolean
  maxLagBytes: number
  /** The target may run an older major than the PRIMARY (a downgrade). */
  allowOlder: boolean
  timeoutMs: number
  /** Called as each step completes (fenced, caught-up, compared, …): the drills and tests inject their faults here. */
  afterStep?: (step: string) => void
  /** The write pause's budget: a step before the promote that ends past it rolls the switchover back. */
  maxPauseMs?: number
  /** What replkit may do to the servers besides SQL (restart a target whose wal_level must change, read logs). */
  servers: ServerAccess
}
