// A server error in the server's own words (SQLSTATE, message, DETAIL, CONTEXT and the object
// fields psql prints with VERBOSITY verbose), and the object on the replica that raised it, named
// from the catalogues. What no rule below recognises is quoted verbatim as "not a known cause":
// a cause is never guessed.

export interface ServerError {
  sqlstate: string | null
  message: string
  detail: string | null
  context: string | null
  schema: string | null
  table: string | null
  column: string | null
  constraint: string | null
}

const FIELD: Record<string, keyof ServerError> = {
  DETAIL: 'detail',
  CONTEXT: 'context',
  'SCHEMA NAME': 'schema',
  'TABLE NAME': 'table',
  'COLUMN NAME': 'column',
  'CONSTRAINT NAME': 'constraint',
}

/** psql's verbose error report ("ERROR:  23514: message", then DETAIL:, CONTEXT:, … NAME: lines). */
export function parsePsqlError(stderr: string): ServerError | null {
  const lines = stderr.split('\n')
  const at = lines.findIndex(l => /(ERROR|FATAL):\s+/.test(l))
  if (at < 0) return null
  const head = /(?:ERROR|FATAL):\s+(?:([0-9A-Z]{5}):\s+)?(.*)$/.exec(lines[at])!
  const error: ServerError = {
    sqlstate: head[1] ?? null,
    message: head[2],
    detail: null,
    context: null,
    schema: null,
    table: null,
    column: null,
    constraint: null,
  }
  for (const line of lines.slice(at + 1)) {
    const field = /^([A-Z ]+):\s+(.*)$/.exec(line)
    const key = field && FIELD[field[1]]
    if (key && error[key] === null) error[key] = field[2]
  }
  return error
}

/** The PL/pgSQL function a CONTEXT line names ("PL/pgSQL function public.f() line 3 at RAISE"). */
export function contextFunction(context: string | null): string | null {
  return /PL\/pgSQL function ([^(\s]+)\(/.exec(context ?? '')?.[1] ?? null
}

/** The table a COPY's CONTEXT names ("COPY orders, line 1: …"). */
export function contextCopyTable(context: string | null): string | null {
  return /COPY ([^,\s]+), line/.exec(context ?? '')?.[1] ?? null
}

export type ErrorClass =
  | 'trigger'
  | 'constraint'
  | 'missing-relation'
  | 'missing-column'
  | 'data'
  | 'permission'
  | 'publisher-connection'
  | 'unknown'

/** The class of an error from its SQLSTATE and CONTEXT, never from the wording of the message. */
export function classifyServerError(e: ServerError): ErrorClass {
  const state = e.sqlstate ?? ''
  if (contextFunction(e.context) && !state.startsWith('23')) return 'trigger'
  if (state.startsWith('23')) return 'constraint'
  if (state === '42P01') return 'missing-relation'
  if (state === '42703') return 'missing-column'
  if (state === '42501') return 'permission'
  if (state.startsWith('22')) return 'data'
  // CREATE SUBSCRIPTION could not open its replication connection to the PRIMARY.
  if (state === '08006') return 'publisher-connection'
  return 'unknown'
}

/** The error as the server said it, on one line. */
export function verbatim(e: ServerError): string {
  return [
    `ERROR ${e.sqlstate ?? '?'}: ${e.message}`,
    e.detail && `DETAIL: ${e.detail}`,
    e.context && `CONTEXT: ${e.context.slice(0, 200)}`,
  ]
    .filter(Boolean)
    .join(' — ')
}
