// pg_hba.conf's first-match rule, as PostgreSQL applies it to a subscription's connection: TCP
// over TLS, to one database (a logical walsender is matched by the database name or "all", never
// by the "replication" keyword), as one role, from one address. Only what can be decided for
// certain decides: a line this cannot evaluate (a group "+role", a regular expression, a host
// name) stops the search with "unknown", so no rule is ever reported wrongly.
import { isIP } from 'node:net'

export interface HbaRule {
  line: number
  type: string
  database: string[] | null
  users: string[] | null
  address: string | null
  netmask: string | null
  method: string | null
  error: string | null
}

export interface HbaRequest {
  database: string
  user: string
  /** The address the PRIMARY sees the replica connect from. */
  address: string
}

/** A host as a pg_hba.conf address: an IP with its full mask, or the host name as it is. */
export const hbaAddress = (host: string) =>
  host.includes(':') ? `${host}/128` : /^[\d.]+$/.test(host) ? `${host}/32` : host

export type Admission = { result: 'admits' | 'rejects'; line: number | null } | { result: 'unknown'; line: number }

type Match = 'yes' | 'no' | 'maybe'

const names = (list: string[] | null, wanted: string, extra: (item: string) => Match): Match => {
  let out: Match = 'no'
  for (const item of list ?? []) {
    if (item === 'all' || item === wanted) return 'yes'
    if (extra(item) === 'maybe') out = 'maybe'
  }
  return out
}

const ipv4 = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0)

function addressMatch(rule: HbaRule, from: string): Match {
  if (rule.address === 'all') return 'yes'
  if (!rule.address || !rule.netmask || isIP(rule.address) !== 4 || isIP(rule.netmask) !== 4) return 'maybe'
  if (isIP(from) === 6) return 'no'
  if (isIP(from) !== 4) return 'maybe'
  // Bitwise AND works on 32 bits; >>> 0 reads the result as unsigned again.
  const masked = (a: string) => (ipv4(a) & ipv4(rule.netmask!)) >>> 0
  return masked(rule.address) === masked(from) ? 'yes' : 'no'
}

function ruleMatch(rule: HbaRule, req: HbaRequest): Match {
  if (!['host', 'hostssl', 'hostnogssenc'].includes(rule.type)) return 'no'
  const database = names(rule.database, req.database, d =>
    d === 'sameuser'
      ? req.user === req.database
        ? 'yes'
        : 'no'
      : d.startsWith('+') || d.startsWith('/') || d === 'samerole'
        ? 'maybe'
        : 'no',
  )
  const user = names(rule.users, req.user, u => (u.startsWith('+') || u.startsWith('/') ? 'maybe' : 'no'))
  const address = addressMatch(rule, req.address)
  const all = [database, user, address]
  if (all.includes('no')) return 'no'
  return all.includes('maybe') ? 'maybe' : 'yes'
}

/** The first line that applies to the request decides; none at all rejects (PostgreSQL: "no pg_hba.conf entry"). */
export function admission(rules: HbaRule[], req: HbaRequest): Admission {
  for (const rule of rules.filter(r => !r.error)) {
    const match = ruleMatch(rule, req)
    if (match === 'maybe') return { result: 'unknown', line: rule.line }
    if (match === 'yes') return { result: rule.method === 'reject' ? 'rejects' : 'admits', line: rule.line }
  }
  return { result: 'rejects', line: null }
}
