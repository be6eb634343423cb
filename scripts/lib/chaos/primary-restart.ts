// Drill c: the PRIMARY restarts (fast) under load; every subscription reconnects by itself.
import { localNode, restartNode } from '../cluster/local-cluster.js'
import { poll } from '../wait.js'
import {
  type Drill,
  type DrillOutcome,
  clearConnectionLossErrors,
  fail,
  ms,
  requireLocal,
  underLoad,
} from './harness.js'

export const primaryRestart: Drill = {
  name: 'primary-restart',
  title: 'c. the PRIMARY restarts (fast) under load',
  async run(context): Promise<DrillOutcome> {
    const { config, timeoutMs } = context
    const skipped = requireLocal(config, [config.primary])
    if (skipped) return { skipped, figures: {}, proofs: [] }
    return underLoad(
      context,
      async (c, proofs) => {
        const restarting = performance.now()
        await restartNode(config, localNode(config, config.primary))
        const restartMs = ms(restarting)
        const reconnected = await poll(
          async () => {
            const rows = await c.primary
              .sql`select count(*)::int as n from pg_stat_replication where application_name = any(${c.subscriptions})`.catch(
              () => [{ n: 0 }],
            )
            return rows[0].n === c.subscriptions.length ? ms(restarting) : undefined
          },
          timeoutMs,
          50,
        )
        if (reconnected === undefined)
          fail(`the subscriptions did not reconnect within ${timeoutMs / 1000} s of the restart`)
        proofs.push(`every subscription reconnected by itself, ${reconnected} ms after the restart began`)
        return { 'restart ms': restartMs, 'restart → walsenders back ms': reconnected! }
      },
      () => clearConnectionLossErrors(config),
    )
  },
}
