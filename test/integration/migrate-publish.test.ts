// make migrate with a new table that PUBLICATION_TABLES names, under a live writer: created on
// every node, left unpublished while the configuration does not name it, then published by the
// same file once it does — its rows copied once, the next ones streamed, every node equal.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { startWriter } from '../../scripts/lib/chaos/writer.js'
import { config, query, runScript, tempFile } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const publish = suite('migrate: a new table published')
const nodes = [config.primary, ...config.replicas]

const GIFT_CARDS = `CREATE TABLE gift_cards (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE,
  cents integer NOT NULL CHECK (cents > 0)
);
`
/** The cluster's configuration with gift_cards published too, as an operator's .env would say it. */
const withGiftCards = { PUBLICATION_TABLES: [...config.tables, 'gift_cards'].join(',') }

const giftCardsOn = () =>
  Promise.all(
    nodes.map(async n => {
      const [row] = await query<{ n: number; codes: number }>(
        n,
        'select count(*)::int as n, count(distinct code)::int as codes from public.gift_cards',
      )
      return row
    }),
  )

publish.before(async () => {
  await ensureReplication()
  await waitForCatchup()
})

publish.after(async () => {
  // The PRIMARY's drop takes gift_cards out of the publication; each replica's out of its subscription.
  for (const n of nodes) await query(n, 'drop table if exists public.gift_cards')
})

publish(
  'a new table: created everywhere; once PUBLICATION_TABLES names it, published and its rows copied once, then streamed',
  async () => {
    const create = await tempFile('gift-cards.sql', GIFT_CARDS)
    const unpublished = await runScript('migrate', ['--file', create, '--yes'])
    assert.is(unpublished.code, 0, unpublished.stdout + unpublished.stderr)
    assert.match(
      unpublished.stdout,
      /gift_cards exists on every node and is not published: to replicate its rows, add it to PUBLICATION_TABLES/,
    )
    await query(
      config.primary,
      `insert into public.gift_cards (code, cents) select 'GC-' || g, 100 * g from generate_series(1, 500) g`,
    )

    const dry = await runScript('migrate', ['--file', create, '--dry-run'], withGiftCards)
    assert.is(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(
      dry.stdout,
      /-- 1\. last, once every statement ran, as make replicate does it, since PUBLICATION_TABLES names gift_cards/,
    )
    assert.match(
      dry.stdout,
      /ALTER SUBSCRIPTION sub_replica1 REFRESH PUBLICATION WITH \(copy_data = true\); -- on replica1/,
    )

    const writer = startWriter(config.primary, 200)
    try {
      const run = await runScript('migrate', ['--file', create, '--yes'], withGiftCards)
      assert.is(run.code, 0, run.stdout + run.stderr)
      assert.match(run.stdout, /replica1: sub_replica1 refreshed: copies gift_cards/)
      assert.match(run.stdout, /replica2: every table of sub_replica2 is ready/)
      await query(
        config.primary,
        `insert into public.gift_cards (code, cents) select 'GC-' || g, 100 * g from generate_series(501, 600) g`,
      )
    } finally {
      await writer.stop()
      await waitForCatchup()
    }
    assert.equal(
      await giftCardsOn(),
      nodes.map(() => ({ n: 600, codes: 600 })),
      'the 500 rows copied once, the 100 after streamed',
    )
    const check = await runScript('check-replication', ['--json'], withGiftCards)
    assert.is(check.code, 0, check.stdout.slice(0, 3000))
    const again = await runScript('migrate', ['--file', create, '--yes'], withGiftCards)
    assert.is(again.code, 0, again.stdout + again.stderr)
    assert.match(
      again.stdout,
      /\n0 changed, \d+ already in place/,
      'published once: the same file again changes nothing',
    )
  },
)

publish.run()
