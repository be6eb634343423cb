// The switchover's write pause under load: a writer at a steady rate against whichever node is
// the PRIMARY, make switchover to a replica and back (the library call, as the command runs it).
// The pause is measured twice: by the command (fence → the new PRIMARY takes writes) and by the
// writer (the longest time between two of its commits); beside it, the proof that every table is
// equal, which runs before the fence under the writer. The demoted node is made writable again
// afterwards, as the other sections found it.
import type { Config, NodeSpec } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { Steps } from '../steps.js'
import { startWriter, writerRowsOn } from '../chaos/writer.js'
import { switchover } from '../switchover/switchover.js'
import { serverAccess } from '../cluster/access.js'

export interface SwitchoverBench {
  target: string
  rate: number
  achievedTps: number
  /** Fence to the new PRIMARY taking writes, as make switchover reports it: there, and back. */
  writePauseMs: [number, number]
  /** The proof that every table is equal, there and back. */
  proofMs: [number, number]
  /** Runs since the proof moved before the fence say so; in older results it was part of the pause. */
  proofBeforeFence?: true
  /** Command start to done, there and back. */
  totalMs: [number, number]
  /** The writer's longest time between two commits over the whole run. */
  longestGapMs: number
  refused: number
}

export async function switchoverBench(config: Config, rate: number): Promise<SwitchoverBench> {
  const target = config.replicas[0]
  // The sections before leave a million dead rows behind; a shop's tables in steady state are
  // vacuumed, and the proof before the fence scans them.
  await Promise.all(
    [config.primary, ...config.replicas].map(node =>
      withNode(node, sql => sql.unsafe('vacuum'), { statementTimeoutMs: 0 }),
    ),
  )
  let primary: NodeSpec = config.primary
  const writer = startWriter(() => primary, rate)
  const options = (to: NodeSpec) => ({
    to: to.name,
    dryRun: false,
    maxLagBytes: 16 * 1024 * 1024,
    allowOlder: true,
    timeoutMs: 60_000,
    servers: serverAccess(config),
    // The writer follows at the promote, as a libpq multi-host client or PgBouncer does; the
    // followers move after that, outside the pause.
    afterStep: (step: string) => {
      if (step === 'promoted') primary = { ...to, role: 'primary' }
    },
  })
  try {
    await new Promise(r => setTimeout(r, 2000))
    const there = await switchover(config, options(target), new Steps(true))
    await new Promise(r => setTimeout(r, 2000))
    const back = await switchover(config, options(config.primary), new Steps(true))
    await new Promise(r => setTimeout(r, 1000))
    const result = await writer.stop()
    for (const node of [config.primary, ...config.replicas]) {
      const rows = await withNode(node, sql => writerRowsOn(sql, result))
      if (rows.missing || rows.resurrected)
        throw new ReplkitError(
          `bench: after the switchovers ${node.name} misses ${rows.missing} committed rows and holds ${rows.resurrected} deleted ones`,
        )
    }
    return {
      target: target.name,
      rate,
      achievedTps: result.transactions / result.seconds,
      writePauseMs: [there.writePauseMs!, back.writePauseMs!],
      proofMs: [there.proofMs!, back.proofMs!],
      proofBeforeFence: true,
      totalMs: [there.totalMs, back.totalMs],
      longestGapMs: result.longestGapMs,
      refused: result.refused,
    }
  } finally {
    await writer.stop().catch(() => {})
    await withNode(
      config.primary,
      sql => sql`delete from public.orders where customer_email = 'replkit-chaos@replkit.test'`,
    )
  }
}
