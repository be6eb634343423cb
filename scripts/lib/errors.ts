// One failure, one line: the message names what and where; the exit code says how bad.
export class ReplkitError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'ReplkitError'
  }
}

/** Monitoring plugin exit codes (Nagios/Icinga): 3 is UNKNOWN, for a usage or configuration error; a command that failed exits 2 like CRITICAL. */
export const EXIT = { ok: 0, warning: 1, critical: 2, failed: 2, unknown: 3 } as const

/** A configuration error: bad URL, unset variable, bad value in .env. */
export class ConfigError extends ReplkitError {
  constructor(message: string) {
    super(`config: ${message}`, 1)
    this.name = 'ConfigError'
  }
}
