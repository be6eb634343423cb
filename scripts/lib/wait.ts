// The one wait helper. Like PostgreSQL::Test::Cluster's poll_query_until / wait_for_catchup, a
// wait that runs out fails loudly, with the catalogue state that explains why; it never returns false.
import { setTimeout as sleep } from 'node:timers/promises'
import { ReplkitError } from './errors.js'

/** Calls what() every intervalMs until it returns a value (not undefined); undefined at the deadline. */
export async function poll<T>(
  what: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await what()
    if (value !== undefined) return value
    if (Date.now() >= deadline) return undefined
    await sleep(intervalMs)
  }
}

export interface WaitFor<T> {
  /** What is awaited, as the error will say it: "replica1's initial copy". */
  what: string
  timeoutMs: number
  intervalMs?: number
  /** The value when done, undefined while not. */
  until: () => Promise<T | undefined>
  /** The catalogue state that explains a timeout (read only when it happens). */
  state?: () => Promise<string>
  exitCode?: number
}

/** poll() that throws at the deadline: "timed out after N s waiting for WHAT" and the state. */
export async function waitFor<T>(w: WaitFor<T>): Promise<T> {
  const value = await poll(w.until, w.timeoutMs, w.intervalMs)
  if (value !== undefined) return value
  const state = w.state ? await w.state().catch(error => `(state unreadable: ${(error as Error).message})`) : ''
  throw new ReplkitError(
    `timed out after ${w.timeoutMs / 1000} s waiting for ${w.what}${state ? `\n${state}` : ''}`,
    w.exitCode ?? 2,
  )
}
