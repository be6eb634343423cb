// The front door: README.md stays short, and every link in it and in docs/ resolves inside the
// repository — to a file that exists and, with a #fragment, to a heading of that file.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../scripts/lib/config.js'
import { VERDICT_CODES } from '../scripts/lib/checks/verdict-codes.js'

const pages = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter(f => f.endsWith('.md'))
    .map(f => `docs/${f}`),
].map(p => join(repoRoot, p))

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')

const anchors = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(l => /^#{1,6} /.test(l))
    .map(l => slug(l.replace(/^#+ /, '')))

test('README.md is a front door: under 300 lines, every page of docs/ linked from it', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  assert.ok(readme.split('\n').length < 300, `README.md has ${readme.split('\n').length} lines`)
  for (const page of pages.slice(1)) assert.ok(readme.includes(`](${relative(repoRoot, page)})`), `${page} not linked`)
})

test('every link of README.md and docs/ resolves inside the repository', () => {
  const broken: string[] = []
  for (const page of pages) {
    const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '')
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target)) continue
      const [path, fragment] = target.split('#')
      const file = path ? resolve(dirname(page), path) : page
      const where = `${relative(repoRoot, page)} → ${target}`
      if (!file.startsWith(`${repoRoot}/`) || !existsSync(file)) broken.push(`${where}: no such file in the repository`)
      else if (fragment && file.endsWith('.md') && !anchors(file).includes(fragment))
        broken.push(`${where}: no such heading`)
    }
  }
  assert.equal(broken, [])
})

test("every alert's runbook_url names a page of docs/ and a heading on it", () => {
  const rules = readFileSync(join(repoRoot, 'config/prometheus/alerts.yml'), 'utf8')
  const urls = [...rules.matchAll(/runbook_url: "([^"]+)"/g)].map(m => m[1])
  assert.ok(urls.length >= 14, `${urls.length} runbook_url annotations`)
  for (const url of urls) {
    const [path, fragment] = url.split('#')
    const file = join(repoRoot, path)
    assert.ok(existsSync(file) && anchors(file).includes(fragment), `${url}: no such page or heading`)
  }
})

test("the fault catalogue names verdicts by make check's own codes", () => {
  const catalogue = readFileSync(join(repoRoot, 'docs/faults.md'), 'utf8')
  const table = catalogue.slice(catalogue.indexOf('| fault | code |')).split('\n\n')[0]
  const codeCells = table.split('\n').map(row => row.split(' | ')[1] ?? '')
  const named = codeCells.flatMap(cell => [...cell.matchAll(/`([A-Z_]+)`/g)].map(m => m[1]))
  assert.ok(named.length > 20, `${named.length} codes in the catalogue`)
  assert.equal(
    named.filter(c => !(VERDICT_CODES as readonly string[]).includes(c)),
    [],
  )
})

test.run()
