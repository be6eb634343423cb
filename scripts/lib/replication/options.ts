// The subscription options each pair of versions allows, and why each was chosen. A feature is
// used only where both ends have it: the subscriber parses the option, the publisher's pgoutput
// (or its COPY) must speak it. Chosen by server_version_num; make replicate --dry-run prints it.
import { type Sql, majorOf, serverVersionNum } from '../db.js'
import { checkQuery } from '../sql-files.js'
import { schemaDrift, tableColumns } from './schema-drift.js'

export interface SubscriptionOptions {
  streaming: 'off' | 'on' | 'parallel'
  binary: boolean
  /** null: the server has no such option (15). */
  origin: 'any' | 'none' | null
  failover: boolean | null
}

/** substream: a boolean on 15 ("true"/"false"), a char on 16+ (f, t, p). */
export function streamingOption(substream: string): SubscriptionOptions['streaming'] {
  if (substream === 'p') return 'parallel'
  return substream === 'f' || substream === 'false' ? 'off' : 'on'
}

export interface ChosenOption {
  name: 'streaming' | 'binary' | 'origin' | 'failover'
  value: string
  why: string
}

export interface Ends {
  publisherNum: number
  subscriberNum: number
  /** Every replicated column has the same type on both ends (binary transfer is type-exact). */
  sameColumnTypes: boolean
}

export function chooseOptions({ publisherNum, subscriberNum, sameColumnTypes }: Ends): ChosenOption[] {
  const both = Math.min(majorOf(publisherNum), majorOf(subscriberNum))
  const pair = `PRIMARY ${majorOf(publisherNum)}, replica ${majorOf(subscriberNum)}`
  const chosen: ChosenOption[] = []
  chosen.push(
    both >= 16
      ? {
          name: 'streaming',
          value: 'parallel',
          why: `large transactions are applied by parallel workers while they are still being sent (both ends 16+: ${pair})`,
        }
      : {
          name: 'streaming',
          value: 'on',
          why: `large transactions are sent while still running, applied at commit (parallel apply needs 16+ on both ends: ${pair})`,
        },
  )
  if (both >= 16 && sameColumnTypes) {
    chosen.push({
      name: 'binary',
      value: 'true',
      why: `initial copy and changes in binary: no text parsing (16+ on both ends, column types identical)`,
    })
  } else {
    chosen.push({
      name: 'binary',
      value: 'false',
      why:
        both >= 16
          ? 'text: a column type differs between the ends, and binary transfer is type-exact'
          : `text: a binary initial copy needs 16+ on both ends (${pair})`,
    })
  }
  if (both >= 16)
    chosen.push({
      name: 'origin',
      value: 'none',
      why: 'only changes made on the PRIMARY itself travel: a later two-way set-up cannot loop (16+ on both ends)',
    })
  if (both >= 17)
    chosen.push({
      name: 'failover',
      value: 'true',
      why: 'the slot can be synchronised to a physical standby of the PRIMARY and survive its promotion (17+ on both ends)',
    })
  return chosen
}

/** The WITH list of CREATE SUBSCRIPTION for these options (fixed vocabulary: safe to interpolate). */
export function withList(options: ChosenOption[]): string {
  return options.map(o => `${o.name} = ${o.value}`).join(', ')
}

/**
 * The options of an existing subscription that differ from the chosen ones and can be changed
 * while it runs. failover cannot (ALTER … SET (failover) needs it disabled): reported, not changed.
 */
export function optionChanges(
  current: SubscriptionOptions,
  chosen: ChosenOption[],
): { set: ChosenOption[]; leftAlone: ChosenOption[] } {
  const now: Record<ChosenOption['name'], string | null> = {
    streaming: current.streaming,
    binary: String(current.binary),
    origin: current.origin,
    failover: current.failover === null ? null : String(current.failover),
  }
  const differing = chosen.filter(o => now[o.name] !== null && now[o.name] !== o.value)
  return { set: differing.filter(o => o.name !== 'failover'), leftAlone: differing.filter(o => o.name === 'failover') }
}

/** The options for a subscription from the PRIMARY to this replica, chosen from both servers. */
export async function optionsBetween(primary: Sql, replica: Sql, tables: string[]): Promise<ChosenOption[]> {
  const [publisherNum, subscriberNum, primaryColumns, replicaColumns] = await Promise.all([
    serverVersionNum(primary),
    serverVersionNum(replica),
    tableColumns(primary, tables),
    tableColumns(replica, tables),
  ])
  const sameColumnTypes = !schemaDrift(primaryColumns, replicaColumns).some(d => d.kind === 'type')
  return chooseOptions({ publisherNum, subscriberNum, sameColumnTypes })
}

/** The variables of sql/replication/050_subscription.sql. */
export function subscriptionVars(
  subscription: string,
  publication: string,
  chosen: ChosenOption[],
  converge: ChosenOption[] = [],
): Record<string, string> {
  return { subscription, publication, options: withList(chosen), set_options: withList(converge) }
}

/** One line per option for the operator: what was chosen and why. */
export const describeOptions = (chosen: ChosenOption[]) => chosen.map(o => `${o.name} = ${o.value}: ${o.why}`)

export interface ExistingSubscription {
  enabled: boolean
  conninfo: string
  slotName: string | null
  options: SubscriptionOptions
}

/** The subscription as it is on the replica, or null when there is none. */
export async function existingSubscription(replica: Sql, name: string): Promise<ExistingSubscription | null> {
  const [row] = await checkQuery(replica, 'subscription_options.sql', [name])
  if (!row) return null
  return {
    enabled: row.enabled,
    conninfo: row.conninfo,
    slotName: row.slot_name,
    options: {
      streaming: streamingOption(row.streaming),
      binary: row.binary,
      origin: row.origin ?? null,
      failover: row.failover ?? null,
    },
  }
}
