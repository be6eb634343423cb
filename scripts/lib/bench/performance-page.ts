// docs/performance.md's figures, regenerated from a full make bench run (latest.json), never
// typed by hand: the block between the bench markers is replaced with the run's summary.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../config.js'
import { withoutColour } from '../output.js'
import { type BenchReport, formatSummary } from './report.js'

const START = '<!-- bench:latest (written by make bench from bench/results/latest.json) -->'
const END = '<!-- /bench:latest -->'

export function latestBlock(report: BenchReport): string {
  return `${START}\n\`\`\`\n${withoutColour(formatSummary(report)).trim()}\n\`\`\`\n${END}`
}

/** Replaces the block in docs/performance.md; false when the page has no markers (nothing written). */
export async function updatePerformancePage(report: BenchReport): Promise<boolean> {
  const file = join(repoRoot, 'docs/performance.md')
  const text = await readFile(file, 'utf8')
  const from = text.indexOf(START)
  const to = text.indexOf(END)
  if (from < 0 || to < from) return false
  await writeFile(file, text.slice(0, from) + latestBlock(report) + text.slice(to + END.length))
  return true
}
