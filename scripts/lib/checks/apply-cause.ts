// The cause and fix of a stopped apply worker, from the server's own error (replication/server-error.ts
// classifies it). A cause it does not know is quoted verbatim as "not a known cause", never guessed.
import type { Drift } from '../replication/schema-drift.js'
import { contextFunction } from '../replication/server-error.js'
import type { ReplicaFacts } from './facts.js'

export type Failure = NonNullable<NonNullable<ReplicaFacts['log']>['applyFailure']>

/** What stopped the subscription, in the server's words. */
export function applyProblem(name: string, f: Failure): string {
  const where = `${f.messageType ?? 'a change'}${f.relation ? ` on ${f.relation}` : ''} in remote transaction ${f.remoteXid ?? '?'} (finish LSN ${f.finishLsn})`
  switch (f.cause) {
    case 'key-conflict':
      return `${name} is stopped by a key conflict: ${f.detail ?? f.error} — ${where}`
    case 'trigger':
      return `${name} is stopped: a trigger on the replica raised "${f.error}" (${f.context}) — ${where}`
    case 'missing-column':
    case 'permission':
    case 'constraint':
    case 'missing-relation':
    case 'data':
      return `${name} is stopped: ${f.error}${f.detail ? ` (${f.detail})` : ''} — ${where}`
    default:
      return `${name} is stopped by an apply error, not a known cause: ${f.error}${f.detail ? ` (DETAIL: ${f.detail})` : ''}${f.context ? ` (CONTEXT: ${f.context})` : ''} — ${where}`
  }
}

/** The fix for each cause of a stopped apply worker. SKIP is never offered here: it loses a whole transaction. */
export function causeFix(R: string, name: string, f: Failure, breaking: Drift[]): string {
  // The worker names a relation it cannot find only in its message, not in its CONTEXT.
  const relation = f.relation ?? /relation "([^"]+)"/.exec(f.error)?.[1] ?? 'the table'
  switch (f.cause) {
    case 'key-conflict':
      return `make fix-conflict ARGS="--replica ${R}" shows the conflicting row and the two ways out; --resync --yes repairs it without loss`
    case 'trigger': {
      const fn = contextFunction(f.context)
      return `on ${R}: SELECT tgname FROM pg_trigger WHERE tgrelid = '${relation}'::regclass AND tgfoid = '${fn}'::regproc; then fix ${fn}, or ALTER TABLE ${relation} DISABLE TRIGGER <that name>; apply resumes by itself, nothing lost (a resync would hit the same trigger)`
    }
    case 'constraint': {
      const constraint = /constraint "([^"]+)"/.exec(f.error)?.[1]
      return constraint
        ? `the PRIMARY's row breaks ${constraint} on ${R}: if ${R} alone has it, on ${R}: ALTER TABLE ${relation} DROP CONSTRAINT ${constraint}; apply resumes by itself, nothing lost (a resync would hit the same constraint)`
        : `make ${relation} on ${R} accept the PRIMARY's rows (compare its constraints with the PRIMARY's); apply resumes by itself`
    }
    case 'missing-relation':
      return `make replicate: it creates ${relation} on ${R} from the PRIMARY's definition and copies its rows (the subscription refreshed); apply resumes by itself, nothing lost`
    case 'data':
      return breaking.length
        ? 'align the schema with the DDL above; apply resumes by itself'
        : `align the column types of ${relation} on ${R} with the PRIMARY's; apply resumes by itself`
    case 'missing-column':
      return breaking.length
        ? 'align the schema with the DDL above; apply resumes by itself'
        : `add the missing column on ${R} as it is on the PRIMARY; apply resumes by itself`
    case 'permission':
      return `grant ${name}'s owner the privilege the error names, on ${R}; apply resumes by itself`
    default:
      return `read ${R}'s log; make fix-conflict ARGS="--replica ${R}" shows the failing transaction`
  }
}
