// The one opened-node object: a node's spec and name, one driver connection, and for a replica
// the subscription that streams the PRIMARY's changes to it. Compare, repair, sync, switchover
// and verify hold their nodes as these and close them together.
import type { NodeSpec } from './config.js'
import { type ConnectOptions, type Sql, connectChecked } from './db.js'

export interface OpenNode {
  name: string
  spec: NodeSpec
  sql: Sql
  /** The subscription streaming the PRIMARY's changes to it; null: it is not applying (compared as it stands). */
  subscription?: string | null
}

/** A node over a connection the caller already holds. */
export const opened = (spec: NodeSpec, sql: Sql, subscription?: string | null): OpenNode => ({
  name: spec.name,
  spec,
  sql,
  ...(subscription === undefined ? {} : { subscription }),
})

/** Every node opened at once (each connection proven); one that cannot be reached is one clear error. */
export async function openNodes(specs: NodeSpec[], opts: ConnectOptions = {}): Promise<OpenNode[]> {
  const sqls = await Promise.allSettled(specs.map(spec => connectChecked(spec, opts)))
  const failed = sqls.find(s => s.status === 'rejected')
  if (failed) {
    await Promise.all(sqls.map(s => (s.status === 'fulfilled' ? s.value.end({ timeout: 1 }) : null)))
    throw (failed as PromiseRejectedResult).reason
  }
  return specs.map((spec, i) => opened(spec, (sqls[i] as PromiseFulfilledResult<Sql>).value))
}

export async function closeAll(nodes: OpenNode[]): Promise<void> {
  await Promise.all(nodes.map(n => n.sql.end({ timeout: 1 }).catch(() => {})))
}
