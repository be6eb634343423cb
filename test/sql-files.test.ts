// Version-dependent catalogue columns: a line of sql/check ending in "-- since N" is kept only on N+;
// one ending in "-- needs VIEW" only for a role that may read that view.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../scripts/lib/config.js'
import { GUARDED_VIEWS, forMajor, forRole } from '../scripts/lib/sql-files.js'

test('lines marked since N are dropped below N and kept from N on', () => {
  const text = 'SELECT a,\n       b,  -- since 16\n       c,  -- since 17\n       d\n  FROM t'
  assert.is(forMajor(text, 15), 'SELECT a,\n       d\n  FROM t')
  assert.is(forMajor(text, 16), 'SELECT a,\n       b,  -- since 16\n       d\n  FROM t')
  assert.is(forMajor(text, 18), text)
})

test('marked lines drop cleanly: columns ending in a comma, never the last before FROM; or AND/OR conditions', () => {
  const dir = join(repoRoot, 'sql/check')
  for (const file of readdirSync(dir).filter(f => f.endsWith('.sql'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (!/--\s*since \d+\s*$/.test(line)) return
      const next = lines.slice(i + 1).find(l => !/--\s*since \d+\s*$/.test(l) && l.trim() !== '')
      assert.ok(next && !/^\s*FROM\b/i.test(next), `${file}:${i + 1}: a marked line right before FROM`)
      assert.ok(
        /,\s*(--.*)?$/.test(line) || /^\s*(AND|OR)\b/i.test(line),
        `${file}:${i + 1}: a marked line must be a column ending in a comma, or an AND/OR condition`,
      )
    })
  }
})

test('lines marked needs VIEW are dropped for a role that may not read it, kept for one that may', () => {
  const text =
    'SELECT a,\n       (SELECT x -- needs pg_hba_file_rules\n          FROM pg_hba_file_rules) AS rules, -- needs pg_hba_file_rules\n       b\n  FROM t'
  assert.is(forRole(text, new Set()), 'SELECT a,\n       b\n  FROM t')
  assert.is(forRole(text, new Set(['pg_hba_file_rules'])), text)
})

test('every view a line needs is a guarded view, and its lines drop to valid SQL (a column ending in a comma, never the last)', () => {
  const dir = join(repoRoot, 'sql/check')
  for (const file of readdirSync(dir).filter(f => f.endsWith('.sql'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n')
    lines.forEach((line, i) => {
      const needs = /--\s*needs (\w+)\s*$/.exec(line)
      if (!needs) return
      assert.ok(needs[1] in GUARDED_VIEWS, `${file}:${i + 1}: ${needs[1]} is not a guarded view`)
      const next = lines.slice(i + 1).find(l => !/--\s*needs \w+\s*$/.test(l) && l.trim() !== '')
      assert.ok(next && !/^\s*FROM\b/i.test(next), `${file}:${i + 1}: a marked line right before FROM`)
      const last = !/--\s*needs \w+\s*$/.test(lines[i + 1] ?? '')
      if (last) assert.ok(/,\s*--/.test(line), `${file}:${i + 1}: the last marked line of a column must end in a comma`)
    })
  }
})

test.run()
