// Output for people and for machines: ✓/✗ step lines, aligned tables, colour only on a TTY,
// and a main() wrapper that turns any failure into one line and a meaningful exit code.
import { EXIT, ReplkitError } from './errors.js'

const tty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
const paint = (code: number) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text)
export const colour = { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1) }

export const mark = {
  ok: (text: string) => console.log(`${colour.green('✓')} ${text}`),
  fail: (text: string) => console.log(`${colour.red('✗')} ${text}`),
  warn: (text: string) => console.log(`${colour.yellow('!')} ${text}`),
  info: (text: string) => console.log(`  ${text}`),
}

/**
 * Where --dry-run's statements go, from every library: stdout, one block each; under --json they
 * are kept instead and the command puts them in its JSON (statements), so stdout holds JSON alone.
 */
export const dryRunSql = {
  statements: [] as string[],
  keep: false,
  print(text: string): void {
    if (this.keep) this.statements.push(text)
    else console.log(text)
  },
}

/** Bytes in binary units, as PostgreSQL's pg_size_pretty prints them (kB = 1024 B). */
export const formatBytes = (bytes: number): string => {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

export type Cell = string | number | boolean | null | undefined

/** Terminal colour codes, as the colour helpers write them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what a colour code starts with.
export const ANSI_COLOUR = /\x1b\[[0-9;]*m/g

/** The text as a pipe or file receives it: colour codes removed. */
export const withoutColour = (s: string) => s.replace(ANSI_COLOUR, '')

/** Aligned plain-text table; numbers right-aligned. Colour codes are not counted in widths. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map(r => r.map(c => (c === null || c === undefined ? '-' : String(c))))
  const visible = (s: string) => withoutColour(s).length
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map(r => visible(r[i] ?? ''))))
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every(r => typeof r[i] === 'number' || r[i] == null))
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, widths[i] - visible(s)))
    return numeric[i] ? fill + s : s + fill
  }
  const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd()
  return [line(headers), line(widths.map(w => '-'.repeat(w))), ...text.map(line)].join('\n')
}

/** A progress reporter: a redrawn bar on a TTY, a plain line every few seconds otherwise. */
export function progress(label: string, total?: number) {
  const stream = process.stderr
  let last = 0
  return {
    update(done: number, fraction?: number) {
      const now = Date.now()
      if (stream.isTTY) {
        if (now - last < 100) return
        last = now
        const f = Math.min(1, fraction ?? (total ? done / total : 0))
        const width = 30
        const bar = '█'.repeat(Math.round(f * width)).padEnd(width, '░')
        stream.write(`\r${label} ${bar} ${(f * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}`)
      } else if (now - last >= 2000) {
        if (last !== 0)
          stream.write(
            `${label}: ${done.toLocaleString('en-US')}${fraction !== undefined ? ` (${(fraction * 100).toFixed(0)}%)` : ''}\n`,
          )
        last = now
      }
    },
    done() {
      if (stream.isTTY && last !== 0) stream.write('\r\x1b[K')
    },
  }
}

export interface MainOptions {
  /** Exit code for every error (bad configuration, unreachable deadline, anything not a verdict): 3 (UNKNOWN) for monitoring commands. */
  errorExitCode?: number
  /** The whole command's deadline: past it, one line and an exit, whatever is still waiting. */
  deadlineMs?: number
  /** Exit code at the deadline. */
  deadlineExitCode?: number
  /** A line for stdout when the command fails (a monitoring plugin's UNKNOWN line), besides the message on stderr. */
  failureLine?: (message: string) => string
}

/** The longest an exit waits for a reader to take what stdout and stderr still hold. */
const FLUSH_WAIT_MS = 5_000

/**
 * Exits once stdout and stderr have handed what they hold to the OS. process.exit alone drops
 * what a pipe could not take yet: `replkit check --json` with 10 replicas (a report over 64 KB)
 * read by a slower program reached it cut at 65,536 bytes. A reader that never reads does not
 * hold the exit past FLUSH_WAIT_MS.
 */
function exitFlushed(code: number): void {
  setTimeout(() => process.exit(code), FLUSH_WAIT_MS).unref()
  let open = 2
  const flushed = () => {
    if (--open === 0) process.exit(code)
  }
  process.stdout.write('', flushed)
  process.stderr.write('', flushed)
}

/** Runs a command's main; a ReplkitError prints one line and exits with its code; nothing runs past the deadline. */
// biome-ignore lint/suspicious/noConfusingVoidType: a command's body may end without an exit code (0).
export function main(fn: () => Promise<number | void>, opts: MainOptions = {}): void {
  // A reader that stops early (| head) closes the pipe: stop quietly, as psql does.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  if (opts.deadlineMs) {
    setTimeout(() => {
      fail(
        `stopped at the deadline: not finished after ${opts.deadlineMs! / 1000} s (a node that accepts connections but does not answer?)`,
      )
      process.exit(opts.deadlineExitCode ?? EXIT.critical)
    }, opts.deadlineMs).unref()
  }
  function fail(message: string, detail = message): void {
    console.error(`replkit: ${detail}`)
    if (opts.failureLine) console.log(opts.failureLine(message))
  }
  fn().then(
    code => exitFlushed(code ?? 0),
    (error: unknown) => {
      if (error instanceof ReplkitError) {
        fail(error.message)
        return exitFlushed(opts.errorExitCode ?? error.exitCode)
      }
      fail(
        `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
        `unexpected error: ${error instanceof Error ? error.stack : String(error)}`,
      )
      exitFlushed(opts.errorExitCode ?? EXIT.critical)
    },
  )
}
