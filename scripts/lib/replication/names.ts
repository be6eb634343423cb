// The names replkit gives things, in one place: a replica's subscription is also its walsender's
// application_name and its slot's name on the PRIMARY.
import { sqlName } from '../table-name.js'
import type { Config } from '../config.js'

export const subscriptionName = (replica: { name: string }) => `sub_${replica.name}`

/** The slot names a replica's subscription may use: an atomic resync (sync/resync.ts) alternates between the two. */
export const slotNames = (replica: { name: string }) => [
  subscriptionName(replica),
  `${subscriptionName(replica)}_resync`,
]

export const qualifiedTables = (config: Config) => config.tables.map(sqlName).join(', ')
