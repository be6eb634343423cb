// A run of ✓/✗ steps with a closing tally: what changed, what was already right, what failed.
// Quiet steps (a benchmark or drill calling a command's library in process) keep the lines.
import { colour, dryRunSql, mark, withoutColour } from './output.js'
import { EXIT } from './errors.js'

export class Steps {
  changed = 0
  unchanged = 0
  verified = 0
  warnings = 0
  failed = 0
  readonly lines: string[] = []

  constructor(private readonly quiet = false) {}

  private say(kind: 'ok' | 'fail' | 'warn' | 'info', text: string): void {
    this.lines.push(`${{ ok: '✓', fail: '✗', warn: '!', info: ' ' }[kind]} ${text}`)
    if (!this.quiet) mark[kind](text)
  }

  /** A finding shown to the operator, counted as nothing (the verdict comes with the repair or the exit code). */
  show(text: string, kind: 'fail' | 'info' = 'info'): void {
    this.say(kind, text)
  }

  /** A step that found things right (changed = false) or made them right (changed = true). */
  ok(text: string, changed: boolean): void {
    changed ? this.changed++ : this.unchanged++
    this.say('ok', changed ? text : `${text} ${colour.dim('(unchanged)')}`)
  }

  /** A fact found before any change (preflight), counted as neither. */
  note(text: string): void {
    this.say('ok', text)
  }

  /** A check that proved something (a wait, a measurement), neither a change nor a setting. */
  verify(text: string): void {
    this.verified++
    this.say('ok', text)
  }

  warn(text: string): void {
    this.warnings++
    this.say('warn', text)
  }

  fail(text: string): void {
    this.failed++
    this.say('fail', text)
  }

  tally(dryRun: boolean): string {
    const verb = dryRun ? 'would change' : 'changed'
    const parts = [`${this.changed} ${verb}`, `${this.unchanged} already in place`]
    if (this.verified) parts.push(`${this.verified} verified`)
    if (this.warnings) parts.push(`${this.warnings} warning${this.warnings > 1 ? 's' : ''}`)
    if (this.failed) parts.push(`${this.failed} failed`)
    return parts.join(', ')
  }

  /** The run for machines (--json): the tally, each step's line, and what --dry-run would run. */
  toJson(dryRun: boolean, extra: Record<string, unknown> = {}): string {
    const { changed, unchanged, verified, warnings, failed } = this
    const report = {
      // docs/schema/steps.schema.json: the shape of every step command's --json.
      version: 1,
      ...extra,
      dryRun,
      exitCode: this.exitCode(),
      ...{ changed, unchanged, verified, warnings, failed },
      steps: this.lines.map(withoutColour),
      ...(dryRun ? { statements: dryRunSql.statements } : {}),
    }
    return JSON.stringify(report, null, 2)
  }

  /**
   * A command's last word: under --json the report alone (with `extra`), else the tally after a
   * blank line (after `lead`, a sentence the command adds). Returns the exit code to end with.
   */
  finish(opts: { json: boolean; dryRun: boolean; extra?: Record<string, unknown>; lead?: string }): number {
    console.log(opts.json ? this.toJson(opts.dryRun, opts.extra) : `\n${opts.lead ?? ''}${this.tally(opts.dryRun)}`)
    return this.exitCode()
  }

  exitCode(): number {
    return this.failed ? EXIT.failed : this.warnings ? EXIT.warning : EXIT.ok
  }
}

/** A command's steps: under --json quiet, and --dry-run's statements kept for its JSON, so stdout holds JSON alone. */
export function commandSteps(json: boolean): Steps {
  dryRunSql.keep = json
  return new Steps(json)
}
