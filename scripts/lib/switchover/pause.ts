// The write pause: from the fence (or PgBouncer's PAUSE) to the new PRIMARY taking writes, as a
// list of named steps. Each step says when it ended, counted from the start of the pause; before
// the promote, each is a point where the tests inject faults and where --max-pause is enforced.
// A failure before the promote rolls everything back (rollback.ts) and clients resume there.
import type { OpenNode } from '../node.js'
import type { Config, NodeSpec } from '../config.js'
import { EXIT, ReplkitError } from '../errors.js'
import { pauseClients, pointClientsAt, resumeClients } from '../pgbouncer.js'
import type { Steps } from '../steps.js'
import { subscriptionName } from '../replication/names.js'
import { raiseSequences } from '../replication/sequences.js'
import { waitForApplied } from '../replication/waits.js'
import type { Marker } from './markers.js'
import { applyCounters, reserveSlot, sqlFile, stopSubscription } from './nodes.js'
import { queryFile } from '../sql-files.js'
import { rollBack } from './rollback.js'
import type { SwitchoverOptions } from './options.js'

export interface Pause {
  config: Config
  /** The roles once it is done. */
  future: Config
  from: NodeSpec
  target: NodeSpec
  /** Every node open, the PRIMARY first. */
  nodes: OpenNode[]
  opts: SwitchoverOptions
  steps: Steps
  password: string
  /** Each replica's subscription counters when every table was proven equal, before the fence. */
  counters: string[]
}

interface Clock {
  startedAt: number
  since: () => string
  stepDone: (step: string) => void
}

function startClock(c: Pause): Clock {
  const startedAt = performance.now()
  const clock: Clock = {
    startedAt,
    since: () => `(+${Math.round(performance.now() - startedAt)} ms)`,
    // Each step before the promote: the tests' fault hook, then the pause's budget (--max-pause).
    stepDone: (step: string) => {
      c.opts.afterStep?.(step)
      const elapsed = performance.now() - startedAt
      if (c.opts.maxPauseMs !== undefined && elapsed > c.opts.maxPauseMs)
        throw new ReplkitError(
          `the write pause ran past --max-pause (${c.opts.maxPauseMs / 1000} s) by the end of step "${step}" (+${Math.round(elapsed)} ms)`,
          EXIT.failed,
        )
    },
  }
  return clock
}

async function fence(c: Pause, k: Clock): Promise<void> {
  const [{ pid }] = await c.nodes[0].sql`select pg_backend_pid() as pid`
  const marker: Marker = { from: c.from.name, to: c.target.name, at: new Date().toISOString() }
  await sqlFile(c.from, '010_fence.sql', { marker: JSON.stringify(marker), keep_pid: String(pid) }, false)
  c.steps.ok(
    `${c.from.name}: fenced: new transactions read-only (default_transaction_read_only for ${c.from.database}), open sessions ended ${k.since()}`,
    true,
  )
  k.stepDone('fenced')
}

/** Until every replica has applied the PRIMARY's WAL up to its current position (waits.ts). */
function replicasApplied(c: Pause): Promise<void> {
  const [p, ...others] = c.nodes
  return waitForApplied(
    p.sql,
    others.map(n => ({ sql: n.sql, subscription: subscriptionName(n.spec) })),
    c.opts.timeoutMs,
  )
}

async function waitApplied(c: Pause, k: Clock): Promise<void> {
  await replicasApplied(c)
  const [{ lsn }] = await c.nodes[0].sql`select pg_current_wal_lsn()::text as lsn`
  c.steps.verify(`every replica applied the fenced PRIMARY's last LSN ${lsn} ${k.since()}`)
  k.stepDone('caught-up')
}

/**
 * The tables were proven equal before the fence; since then each replica applied the PRIMARY's
 * stream (and nothing else: replicas refuse client writes). The PRIMARY's WAL is waited for once
 * more, so a write a client forced through the fence is on every replica before anything moves;
 * a replica that counted an apply error or a conflict since the proof may have skipped a change:
 * the switch stops.
 */
async function stillEqual(c: Pause, k: Clock): Promise<void> {
  await replicasApplied(c)
  const now = await applyCounters(c.nodes)
  const changed = now.filter((counters, i) => counters !== c.counters[i])
  if (changed.length)
    throw new ReplkitError(
      `a replica counted an apply error or a conflict since the tables were proven equal: ${changed.join('; ')}`,
      EXIT.failed,
    )
  c.steps.verify(`no replica counted an apply error or a conflict since the proof ${k.since()}`)
  k.stepDone('still-equal')
}

/**
 * Nobody writes anywhere from here on, so independent steps run side by side: the sequences
 * raised, and the target's subscription stopped. Disabled, not dropped: DROP SUBSCRIPTION waits
 * for its slot on the old PRIMARY to go, which can wait until after the pause (switchover.ts);
 * a rollback enables it again.
 */
async function unsubscribeTarget(c: Pause, k: Clock): Promise<void> {
  const [p, ...others] = c.nodes
  const t = others.find(n => n.spec.name === c.target.name)!
  await Promise.all([
    ...others.map(async n => {
      const raised = await raiseSequences(n.spec, p.sql, n.sql, c.config.tables, false)
      if (raised.length)
        c.steps.ok(
          `${n.spec.name}: ${raised.map(r => `${r.sequence} raised to ${r.to}`).join(', ')} ${k.since()}`,
          true,
        )
    }),
    stopSubscription(t, c.opts.timeoutMs).then(() =>
      c.steps.ok(
        `${c.target.name}: stopped subscribing (its subscription disabled, its worker gone) ${k.since()}`,
        true,
      ),
    ),
  ])
  k.stepDone('target-unsubscribed')
}

/**
 * A slot on the target for every node that will follow it, reserved while nobody writes: their
 * subscriptions are created on these slots after the pause (switchover.ts), and miss nothing the
 * target writes from its first write on.
 */
async function reserveSlots(c: Pause, k: Clock): Promise<void> {
  const t = c.nodes.find(n => n.spec.name === c.target.name)!
  for (const follower of c.future.replicas) {
    const lsn = await reserveSlot(t.sql, follower)
    c.steps.ok(
      `${c.target.name}: slot ${subscriptionName(follower)} reserved for ${follower.name} at ${lsn} ${k.since()}`,
      true,
    )
  }
  k.stepDone('slots-reserved')
}

async function promote(c: Pause, k: Clock): Promise<void> {
  const t = c.nodes.find(n => n.spec.name === c.target.name)!
  await queryFile(t.sql, 'sql/switchover/030_promote.sql')
  c.steps.ok(`${c.target.name}: is the PRIMARY and takes writes ${k.since()}`, true)
}

async function repointClients(c: Pause, k: Clock): Promise<void> {
  const bouncer = c.config.pgbouncer!
  await pointClientsAt(bouncer, c.target, c.target, [`RESUME ${c.target.database}`])
  c.steps.ok(`PgBouncer: ${c.from.database} points at ${c.target.name}, clients resumed ${k.since()}`, true)
}

/** A failure before the promote: every node back on the old PRIMARY, which takes writes; always throws. */
async function undo(c: Pause, error: unknown): Promise<never> {
  const why = (error as Error).message
  c.steps.fail(`switchover failed: ${why}`)
  await Promise.all(c.nodes.map(n => n.sql.end({ timeout: 1 }))).catch(() => {})
  try {
    await rollBack(c.config, c.from, c.steps)
  } catch (undone) {
    throw new ReplkitError(
      `switchover failed (${why}) and so did the rollback: ${(undone as Error).message}; run make switchover again: it finishes or undoes the switch`,
      EXIT.failed,
    )
  }
  throw new ReplkitError(
    `switchover to ${c.target.name} failed and was rolled back: ${c.from.name} is the PRIMARY again and takes writes (${why})`,
    EXIT.failed,
  )
}

/** The pause itself, step by step; resolves once the target takes writes (and PgBouncer's clients go there), with its length in ms. */
export async function movePrimary(c: Pause): Promise<number> {
  const bouncer = c.config.pgbouncer
  const k = startClock(c)
  let paused = false
  if (bouncer) {
    await pauseClients(bouncer, c.from, c.opts.timeoutMs)
    paused = true
    c.steps.ok(
      `PgBouncer: ${c.from.database} paused: its clients wait, their transactions in flight ended ${k.since()}`,
      true,
    )
  }
  let promoted = false
  try {
    for (const step of [fence, waitApplied, stillEqual, unsubscribeTarget, reserveSlots]) await step(c, k)
    await promote(c, k)
    promoted = true
    if (bouncer) {
      await repointClients(c, k)
      paused = false
    }
  } catch (error) {
    if (promoted) throw error
    return await undo(c, error)
  } finally {
    // Clients never stay paused: after a rollback they resume on the old PRIMARY.
    if (bouncer && paused) await resumeClients(bouncer, c.from).catch(e => c.steps.fail((e as Error).message))
  }
  return performance.now() - k.startedAt
}
