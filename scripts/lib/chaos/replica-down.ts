// Drill a: a replica is stopped while the PRIMARY takes 10,000 orders; make check names it down
// with its slot's retained WAL; started again, it catches up from its slot with nothing lost.
import { formatBytes } from '../output.js'
import { localNode, nodeState, startNode, stopNode } from '../cluster/local-cluster.js'
import { slotOwner } from '../checks/verdicts-wal.js'
import {
  type Drill,
  type DrillOutcome,
  catchUp,
  checkCluster,
  close,
  fail,
  healthy,
  ms,
  open,
  provenEqual,
  removeChaosRows,
  requireLocal,
  sampleRetainedWal,
} from './harness.js'
import { CHAOS_EMAIL } from './writer.js'

export const replicaDown: Drill = {
  name: 'replica-down',
  title: 'a. a replica is down while the PRIMARY takes 10,000 orders',
  async run({ config, timeoutMs }): Promise<DrillOutcome> {
    const victim = config.replicas[config.replicas.length - 1]
    const skipped = requireLocal(config, [victim])
    if (skipped) return { skipped, figures: {}, proofs: [] }
    const c = open(config)
    const proofs: string[] = []
    const retained = sampleRetainedWal(config)
    try {
      await stopNode(config, localNode(config, victim))
      const writing = performance.now()
      await c.primary
        .sql`insert into public.orders (customer_email, total) select ${CHAOS_EMAIL}, g % 100 from generate_series(1, 10000) g`
      const writeMs = ms(writing)
      const report = await checkCluster(config)
      const down = report.verdicts.find(v => v.problem.startsWith(`${victim.name} is down`))
      // Its slot as make check attributes it (a resync names it sub_R_…).
      const slot = report.facts.primary.slots.find(s => slotOwner(report.facts, s)?.name === victim.name)
      if (report.exitCode !== 2 || !down || !slot)
        fail(`make check did not report ${victim.name} down with exit 2 and its slot (exit ${report.exitCode})`)
      proofs.push(
        `make check: exit 2, "${down!.problem.split(':')[0]}", slot ${slot!.name} retains ${formatBytes(slot!.retainedBytes ?? 0)}`,
      )
      const starting = performance.now()
      await startNode(config, localNode(config, victim))
      await catchUp(c, timeoutMs)
      const catchupMs = ms(starting)
      await provenEqual(c, config, timeoutMs, proofs)
      await healthy(config, proofs)
      return {
        proofs,
        figures: {
          'rows written': 10000,
          'write ms': writeMs,
          'slot retained WAL at check': formatBytes(slot!.retainedBytes ?? 0),
          'start → caught up ms': catchupMs,
          'peak retained WAL': formatBytes(await retained.stop()),
        },
      }
    } finally {
      await retained.stop()
      if ((await nodeState(config, localNode(config, victim))) !== 'running')
        await startNode(config, localNode(config, victim))
      await removeChaosRows(c, timeoutMs).finally(() => close(c))
    }
  },
}
