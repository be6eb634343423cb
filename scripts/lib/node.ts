// The one opened-node object: a node's spec and name, one driver connection, and for a replica
// the subscription that streams the PRIMARY's changes to it. Compare, repair, sync, switchover
// and verify hold their nodes as these and close them together; make check and the exporter
// hold TriedNodes, the same with the reason for a node that could not be opened.
import type { NodeSpec } from './config.js'
import { type ConnectOptions, type FailureKind, NodeError, type Sql, connectChecked, describeDbError } from './db.js'
import { ReplkitError } from './errors.js'

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

/** A node as make check and the exporter hold it: opened, or the one-line reason it could not be (they report it; openNodes refuses it). */
export interface TriedNode {
  name: string
  spec: NodeSpec
  sql: Sql | null
  error: string | null
  errorKind: FailureKind | null
}

/**
 * One connection (max 1): the driver pipelines the queries over it, and a second TLS handshake
 * and SCRAM exchange per node cost more (~25 ms of make check) than the overlap gained.
 */
export async function tryOpen(spec: NodeSpec, opts: ConnectOptions = {}): Promise<TriedNode> {
  try {
    return { name: spec.name, spec, sql: await connectChecked(spec, { ...opts, max: 1 }), error: null, errorKind: null }
  } catch (error) {
    return {
      name: spec.name,
      spec,
      sql: null,
      error: error instanceof ReplkitError ? error.message : describeDbError(spec, error),
      errorKind: error instanceof NodeError ? error.kind : 'other',
    }
  }
}

/** Every node tried at once: an unreachable one is kept with its reason. */
export const tryOpenAll = (specs: NodeSpec[], opts: ConnectOptions = {}) =>
  Promise.all(specs.map(s => tryOpen(s, opts)))

export async function closeAll(nodes: { sql: Sql | null }[]): Promise<void> {
  await Promise.all(nodes.map(n => n.sql?.end({ timeout: 1 }).catch(() => {})))
}
