// One failure, one line: the message names what and where; the exit code says how bad.

/**
 * Exit codes, one table for every command. Monitoring plugin conventions (Nagios/Icinga): 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN; a command that failed exits 2 like CRITICAL, and one whose
 * input was rejected (a bad flag value, a wrong name, nothing written) exits 1.
 */
export const EXIT = { ok: 0, warning: 1, rejected: 1, critical: 2, failed: 2, unknown: 3 } as const

export class ReplkitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.rejected,
  ) {
    super(message)
    this.name = 'ReplkitError'
  }
}

/** A configuration error: bad URL, unset variable, bad value in .env. */
export class ConfigError extends ReplkitError {
  constructor(message: string) {
    super(`config: ${message}`, EXIT.rejected)
    this.name = 'ConfigError'
  }
}
