// make bench's targets: a missed one says why, from the run's own figures; a met one says nothing.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { atLeast, missedLines, missedSection, within } from '../../scripts/lib/bench/targets.js'

const missedWithWhy = within('seed', 'seed < 40 s', 42.6, 40, 's', "Node's part alone 8.4 s, raw COPY 30.9 s")

test('a missed target is listed with its why; a met one is not listed', () => {
  const met = atLeast('seed', 'seed ≥ 20× row-at-a-time rate', 39.6, 20, '×')
  assert.equal(missedLines([met, missedWithWhy]), ["✗ seed: seed < 40 s: Node's part alone 8.4 s, raw COPY 30.9 s"])
})

test('a missed target without a why says the run measured nothing that explains it', () => {
  const missed = within('metrics', 'a scrape < 100 ms', 120, 100, 'ms')
  assert.equal(missedLines([missed]), ['✗ metrics: a scrape < 100 ms: this run measured nothing that explains it'])
})

test("a section's own target (make bench-seed alone) is listed without a section", () => {
  const { section: _, ...alone } = missedWithWhy
  assert.equal(missedLines([alone]), ["✗ seed < 40 s: Node's part alone 8.4 s, raw COPY 30.9 s"])
})

test('the section under a targets table: nothing when every target was met, else a heading and the lines', () => {
  const met = atLeast('seed', 'seed ≥ 20× row-at-a-time rate', 39.6, 20, '×')
  assert.equal(missedSection([met]), [])
  const section = missedSection([met, missedWithWhy])
  assert.is(section.length, 3)
  assert.is(section[0], '')
  assert.match(section[1], /Why each missed target was missed/)
  assert.is(section[2], "✗ seed: seed < 40 s: Node's part alone 8.4 s, raw COPY 30.9 s")
})

test.run()
