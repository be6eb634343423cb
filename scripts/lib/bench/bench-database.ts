// The bench's databases of their own beside shop on a node (the seed's, the compare's, the
// single-table copy's): the same server and credentials, another database, labelled as such.
import type { NodeSpec } from '../config.js'

export const inDatabase = (node: NodeSpec, database: string): NodeSpec => ({
  ...node,
  database,
  label: node.label.replace(/\/[^/]+$/, `/${database}`),
})
