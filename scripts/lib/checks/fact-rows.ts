// Catalogue rows as facts: the columns of the checks' SQL (sql/checks) in the shapes make check reads.
import type { Config } from '../config.js'
import type { checkQuery } from '../sql-files.js'
import type { PrimaryFacts } from './fact-types.js'

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

type Row = Awaited<ReturnType<typeof checkQuery>>[number]

export function slotFact(s: Row): PrimaryFacts['slots'][number] {
  return {
    name: s.name,
    type: s.type,
    plugin: s.plugin,
    active: s.active,
    walStatus: s.wal_status,
    retainedBytes: num(s.retained_bytes),
    unconfirmedBytes: num(s.unconfirmed_bytes),
    safeWalSize: num(s.safe_wal_size),
    invalidationReason: s.invalidation_reason ?? null,
    inactiveSince: s.inactive_since ?? null,
    failover: s.failover ?? null,
  }
}

/** The replication role as the PRIMARY would admit it: login, REPLICATION, expiry, its pg_hba rules. */
export function admissionFact(role: Row, config: Config): NonNullable<PrimaryFacts['admission']> {
  return {
    user: config.replicatorUser,
    database: config.primary.database,
    canLogin: role.can_login,
    replication: role.replication,
    validUntil: role.valid_until ?? null,
    rules: role.rules ?? null,
    from: Object.fromEntries(config.replicas.map(r => [r.name, r.host])),
  }
}
