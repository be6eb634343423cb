// A target and whether this run met it. Every target is reported, met or not.
import { colour } from '../output.js'

export interface Target {
  section: string
  target: string
  measured: number
  needed: number
  unit: string
  met: boolean
  /** What this run's own figures show stands between the measurement and the target; printed when it is missed. */
  why?: string
}

/** A section's target before make bench files it under the section. */
export type ScriptTarget = Omit<Target, 'section'>

export const within = (
  section: string,
  target: string,
  measured: number,
  limit: number,
  unit: string,
  why?: string,
): Target => ({ section, target, measured, needed: limit, unit, met: measured < limit, why })

export const atLeast = (
  section: string,
  target: string,
  measured: number,
  needed: number,
  unit: string,
  why?: string,
): Target => ({ section, target, measured, needed, unit, met: measured >= needed, why })

export function showMeasured(t: Pick<Target, 'measured' | 'unit'>): string {
  if (t.unit === '×') return `${t.measured.toFixed(2)}×`
  if (t.unit === 's') return `${t.measured.toFixed(2)} s`
  if (t.unit === 'ms') return `${t.measured.toFixed(2)} ms`
  return `${Number.isInteger(t.measured) ? t.measured : t.measured.toFixed(1)}${t.unit}`
}

export function showNeeded(t: Pick<Target, 'needed' | 'unit' | 'target'>): string {
  const bound = t.target.includes('≥') ? '≥ ' : t.target.includes('<') ? '< ' : ''
  return `${bound}${showMeasured({ measured: t.needed, unit: t.unit })}`
}

/** A target as a table row: what, measured, needed, met or NOT met. */
export const targetRow = (t: ScriptTarget): string[] => [
  t.target,
  showMeasured(t),
  showNeeded(t),
  t.met ? colour.green('met') : colour.red('NOT met'),
]

/** A line for each missed target: what this run measured that explains it (under its section, when filed under one). */
export function missedLines(targets: (Target | ScriptTarget)[]): string[] {
  return targets
    .filter(t => !t.met)
    .map(t => {
      const where = 'section' in t ? `${t.section}: ` : ''
      return `✗ ${where}${t.target}: ${t.why ?? 'this run measured nothing that explains it'}`
    })
}

/** Under a targets table: a heading, then a line for each missed target; nothing when all were met. */
export function missedSection(targets: (Target | ScriptTarget)[]): string[] {
  const lines = missedLines(targets)
  return lines.length > 0 ? ['', colour.bold("Why each missed target was missed (this run's figures)"), ...lines] : []
}
