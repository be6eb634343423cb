// Drill d: a product inserted on a replica, then on the PRIMARY with the same sku: make check
// reports the apply error, fix-conflict names the key and LSN, and --resync repairs it losslessly.
import { subscriptionName } from '../replication/names.js'
import { Steps } from '../steps.js'
import { fixConflicts } from '../sync/fix-conflict.js'
import { poll } from '../wait.js'
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
} from './harness.js'
import { serverAccess } from '../cluster/access.js'

export const conflict: Drill = {
  name: 'conflict',
  title: 'd. a product inserted on a replica, then on the PRIMARY with the same sku',
  async run({ config, timeoutMs }): Promise<DrillOutcome> {
    const target = config.replicas[0]
    const c = open(config)
    const proofs: string[] = []
    const sku = `REPLKIT-CHAOS-${Date.now()}`
    const [primarySql, replicaSql] = [c.primary.sql, c.replicas[0].sql]
    try {
      await replicaSql`insert into public.products (sku, title, price, category_id) select ${sku}, 'on the replica only', 1, id from public.categories order by slug limit 1`
      const inserting = performance.now()
      await primarySql`insert into public.products (sku, title, price, category_id) select ${sku}, 'on the primary', 2, id from public.categories order by slug limit 1`
      const stopped = await poll(async () => {
        const [row] =
          await replicaSql`select apply_error_count::int as n from pg_stat_subscription_stats where subname = ${subscriptionName(target)}`
        return row?.n > 0 ? ms(inserting) : undefined
      }, timeoutMs)
      if (stopped === undefined) fail(`${target.name}'s apply worker did not fail on the duplicate sku`)
      const report = await checkCluster(config)
      const named = report.verdicts.find(v =>
        v.problem.includes(`stopped by a key conflict: Key (sku)=(${sku}) already exists.`),
      )
      if (report.exitCode !== 2 || !named)
        fail(
          `make check did not name the key conflict with exit 2 (exit ${report.exitCode}):\n${report.verdicts.map(v => v.problem).join('\n')}`,
        )
      if (!/make fix-conflict ARGS="--replica /.test(named!.fix))
        fail(`make check's fix for the conflict is not make fix-conflict: ${named!.fix}`)
      proofs.push('make check: exit 2, names the conflicting key and prints make fix-conflict')
      const shown = await fixConflicts(
        config,
        { replica: target.name, choice: null, dryRun: false, timeoutMs, servers: serverAccess(config) },
        new Steps(true),
      )
      const failure = shown.stopped[0]?.failure
      const lsn = failure?.finishLsn
      if (shown.left !== 1 || failure?.detail !== `Key (sku)=(${sku}) already exists.` || !lsn)
        fail(`fix-conflict did not name the key and LSN: ${JSON.stringify(failure)}`)
      proofs.push(`make fix-conflict: names Key (sku)=(${sku}) and finish LSN ${lsn}, changes nothing without a choice`)
      const repairing = performance.now()
      const repaired = await fixConflicts(
        config,
        { replica: target.name, choice: 'resync', dryRun: false, timeoutMs, servers: serverAccess(config) },
        new Steps(true),
      )
      if (repaired.steps.exitCode() !== 0)
        fail(`fix-conflict --resync --yes failed:\n${repaired.steps.lines.join('\n')}`)
      const repairMs = ms(repairing)
      await provenEqual(c, config, timeoutMs, proofs)
      await healthy(config, proofs)
      return {
        proofs,
        figures: { 'conflict → apply error seen ms': stopped!, 'finish LSN': lsn!, 'repair (resync) ms': repairMs },
      }
    } finally {
      // Undo the fault itself first, so a failed drill does not leave apply blocked for what follows.
      await replicaSql`delete from public.products where sku = ${sku} and title = 'on the replica only'`.catch(() => {})
      await primarySql`delete from public.products where sku = ${sku}`.catch(() => {})
      await catchUp(c, timeoutMs).catch(() => {})
      await close(c)
    }
  },
}
