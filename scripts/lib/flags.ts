// The command line, the same way for every command: strict flags, a bad value is one line naming
// the flag (never a stack trace or a page of help), and the flags several commands share.
import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { ReplkitError } from './errors.js'

export interface CliOptions {
  /** Exit code for a usage error: 3 (UNKNOWN) for monitoring commands, else 1. */
  usageExitCode?: number
}

/** A yargs parser for one command. */
export function cli(name: string, usage: string, opts: CliOptions = {}): Argv {
  // Run as the replkit command (bin/replkit.js), the name the user typed; run by make or npm, the script's.
  const shown = process.env.REPLKIT_COMMAND ?? name
  return yargs(hideBin(process.argv))
    .scriptName(shown)
    .usage(usage)
    .wrap(110)
    .strict()
    .help()
    .alias('h', 'help')
    .showHelpOnFail(false)
    .fail((message, error) => {
      console.error(
        `${shown.startsWith('replkit') ? shown : `replkit ${shown}`}: ${message ?? error?.message} (see --help)`,
      )
      process.exit(opts.usageExitCode ?? 1)
    })
}

/** "--max-lag" with no value (yargs: true or "") or "--max-lag=" is refused, never read as 0. */
function requireValue(flag: string, value: unknown): void {
  if (typeof value === 'boolean' || (typeof value === 'string' && value.trim() === ''))
    throw new Error(`--${flag} needs a value`)
}

/** A number flag that must be finite and above zero (or at least zero); "--max-lag abc" is refused by name. */
export function positive(flag: string, { allowZero = false } = {}) {
  return (value: unknown): number => {
    requireValue(flag, value)
    const n = typeof value === 'number' ? value : Number(value)
    if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
      throw new Error(`--${flag} must be a number ${allowZero ? 'of 0 or more' : 'above 0'}, not "${String(value)}"`)
    }
    return n
  }
}

/** A whole number flag of at least min. */
export function whole(flag: string, min = 1) {
  return (value: unknown): number => {
    requireValue(flag, value)
    const n = typeof value === 'number' ? value : Number(value)
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${flag} must be a whole number of at least ${min}, not "${String(value)}"`)
    return n
  }
}

export const dryRunFlag = {
  type: 'boolean',
  default: false,
  describe: 'print every statement it would run, per node; change nothing',
} as const

export const jsonFlag = {
  type: 'boolean',
  default: false,
  describe: 'print the result as JSON on stdout, alone (with --dry-run: the statements in it)',
} as const

export const yesFlag = (what: string) => ({ type: 'boolean', default: false, describe: `confirm: ${what}` }) as const

/** A destructive step runs only with --yes; --dry-run shows it instead. Refused before anything is read or written. */
export function requireYes(argv: { yes?: boolean; dryRun?: boolean }, what: string, preview = 'the SQL'): void {
  if (!argv.yes && !argv.dryRun) throw new ReplkitError(`${what}: re-run with --yes (or --dry-run to see ${preview})`)
}

export const secondsFlag = (describe: string, defaultSeconds: number) =>
  ({ default: defaultSeconds, describe, coerce: positive('timeout'), requiresArg: true }) as const
