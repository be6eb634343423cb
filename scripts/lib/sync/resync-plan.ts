// make sync --dry-run: the atomic resync's statements on each node, in order, with the included
// SQL files shown with their text and the rows shown as where they come from.
import { sqlName } from '../table-name.js'
import { dryRunSql } from '../output.js'
import { relative } from 'node:path'
import { type NodeSpec, repoRoot } from '../config.js'
import { createSlotStatement } from '../replication/copy-statements.js'
import { sqlText } from '../sql-files.js'
import { type AtomicCopyPlan, transactionScript } from './atomic-copy.js'

/** What the dry run needs of the replica's subscription as found. */
export interface PlannedFrom {
  enabled: boolean
  slot: string | null
  slotExists: boolean
}

/** A script line as it runs: an included SQL file is shown with its text. */
async function expand(line: string): Promise<string> {
  const included = /^\\i '(.*)'$/.exec(line)?.[1]
  if (!included) return line
  const path = relative(repoRoot, included.replace(/\\(.)/g, '$1'))
  return `-- ${path}\n${(await sqlText(path)).trim()}`
}

/** --dry-run: the statements on each node, the rows shown as where they come from. */
export async function printPlan(replica: NodeSpec, plan: AtomicCopyPlan, current: PlannedFrom): Promise<void> {
  const script = transactionScript(plan)
  script.before = await Promise.all(script.before.map(expand))
  script.after = await Promise.all(script.after.map(expand))
  const lines = [
    ...plan.why.map(line => `-- ${replica.name}: ${line}`),
    ...(current.enabled
      ? [
          `-- ${replica.name}: ALTER SUBSCRIPTION ${plan.subscription} DISABLE (sql/sync/020_disable_subscription.sql), wait for its workers to stop`,
        ]
      : []),
    `-- primary (replication connection): ${createSlotStatement(plan.slot)}`,
    `-- ${replica.name}, one transaction (vars: ${Object.entries({
      subscription: plan.subscription,
      replaced: plan.replaced,
      slot: plan.slot,
      publication: plan.publication,
    })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}, conninfo=<secret>):`,
    ...script.before,
    ...plan.tables.flatMap((t, i) => [
      script.copies[i],
      `   <rows of ${sqlName(t.table)} at the slot's snapshot: COPY … TO STDOUT on the primary>`,
      '\\.',
    ]),
    ...script.after,
    `-- ${replica.name}: sql/rollback/015_revert_subscription_slot_gone.sql (subscription=${plan.replaced})`,
    ...(current.slotExists ? [`-- primary: sql/rollback/020_revert_slot.sql (slot=${current.slot})`] : []),
  ]
  dryRunSql.print(lines.join('\n'))
}
