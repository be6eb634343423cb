// One failure, one line: the message names what and where; the exit code says how bad.
export class ReplkitError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message)
    this.name = 'ReplkitError'
  }
}

export const EXIT = { ok: 0, warning: 1, critical: 2 } as const
