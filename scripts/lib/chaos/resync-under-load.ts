// Drill b: make sync --replica replica1 while a writer inserts, updates and deletes.
import { Steps } from '../steps.js'
import { syncReplicas } from '../sync/sync.js'
import { type Drill, fail, ms, underLoad } from './harness.js'

export const resyncUnderLoad: Drill = {
  name: 'resync-under-load',
  title: 'b. make sync --replica replica1 while a writer inserts, updates and deletes',
  run: context =>
    underLoad(context, async (_c, proofs) => {
      const target = context.config.replicas[0]
      const resyncing = performance.now()
      const steps = await syncReplicas(
        context.config,
        { replica: target.name, dryRun: false, timeoutMs: context.timeoutMs },
        new Steps(true),
      )
      const resyncMs = ms(resyncing)
      // 0, or 1 when the writer kept orders changing so sync could not compare it at a quiet moment.
      if (steps.exitCode() > 1) fail(`make sync failed (exit ${steps.exitCode()}):\n${steps.lines.join('\n')}`)
      proofs.push(`make sync --replica ${target.name}: exit ${steps.exitCode()}, copy and catch-up done under load`)
      return { 'resync ms': resyncMs }
    }),
}
