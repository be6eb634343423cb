// make migrate's order across the nodes and its refusals that read the PRIMARY, without a server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Config } from '../../scripts/lib/config.js'
import { canonicalTable } from '../../scripts/lib/table-name.js'
import { inverseOf, phasesOf, publishes, refuseUnsafe, widens } from '../../scripts/lib/migrate/plan.js'
import { type Change, classify } from '../../scripts/lib/migrate/statements.js'

test('additive changes go to the replicas first; subtractive ones to the PRIMARY first, then the replicas once applied', () => {
  const order = (sql: string) =>
    phasesOf(classify(sql) as Change).map(p => `${p.where}${p.afterApplied ? ' after applied' : ''}: ${p.sql}`)
  assert.equal(order("ALTER TABLE orders ADD COLUMN tier text DEFAULT 'none'"), [
    "replicas: ALTER TABLE orders ADD COLUMN tier text DEFAULT 'none'",
    "primary: ALTER TABLE orders ADD COLUMN tier text DEFAULT 'none'",
  ])
  assert.equal(order('ALTER TABLE orders DROP COLUMN tier'), [
    'replicas: ALTER TABLE orders ALTER COLUMN tier DROP NOT NULL',
    'primary: ALTER TABLE orders DROP COLUMN tier',
    'replicas after applied: ALTER TABLE orders DROP COLUMN tier',
  ])
  assert.equal(order('ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0)'), [
    'primary: ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0)',
    'replicas after applied: ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0)',
  ])
})

test('a type change must widen; a published table is not dropped', () => {
  assert.equal(
    [
      ['integer', 'bigint'],
      ['smallint', 'int8'],
      ['character varying(20)', 'varchar(40)'],
      ['character varying(20)', 'text'],
      ['numeric(12,2)', 'numeric(14,2)'],
      ['real', 'float8'],
      ['bigint', 'integer'],
      ['character varying(40)', 'varchar(20)'],
      ['numeric(12,2)', 'numeric(12,1)'],
      ['text', 'varchar(10)'],
      ['integer', 'int4'],
    ].map(([a, b]) => widens(a, b)),
    [true, true, true, true, true, true, false, false, false, false, 'same'],
  )
  const config = { tables: ['orders'] } as Config
  const drop = classify('DROP TABLE orders') as Change
  assert.match(
    refuseUnsafe(drop, config, { currentType: null })!.why,
    /^orders is published: remove it from PUBLICATION_TABLES/,
  )
  const narrow = classify('ALTER TABLE orders ALTER COLUMN total TYPE numeric(10,2)') as Change
  assert.match(refuseUnsafe(narrow, config, { currentType: 'numeric(12,2)' })!.why, /is not a widening/)
  assert.is(refuseUnsafe(classify('DROP TABLE scratch') as Change, config, { currentType: null }), null)
})

test('a new table is published when PUBLICATION_TABLES names it, however the statement spells it', () => {
  assert.equal(
    ['gift_cards', 'public.gift_cards', '"gift_cards"', 'PUBLIC."gift_cards"', 'shop.gift_cards', '"Gift.Cards"'].map(
      canonicalTable,
    ),
    ['gift_cards', 'gift_cards', 'gift_cards', 'gift_cards', 'shop.gift_cards', '"Gift.Cards"'],
  )
  const config = { tables: ['orders', 'gift_cards'] } as Config
  const create = (sql: string) => publishes(classify(sql) as Change, config)
  assert.ok(create('CREATE TABLE public.gift_cards (id int primary key)'))
  assert.not.ok(create('CREATE TABLE scratch (id int primary key)'))
  assert.not.ok(
    create('CREATE TABLE shop.gift_cards (id int primary key)'),
    'another schema is not the configured table',
  )
  assert.not.ok(create('CREATE INDEX gift_cards_idx ON gift_cards (id)'), 'only a new table is published')
  const other = { tables: ['orders', 'shop."Gift Cards"'] } as Config
  assert.ok(publishes(classify('CREATE TABLE Shop."Gift Cards" (id int primary key)') as Change, other))
})

test('what can be taken back has an inverse that make migrate reads back as its opposite; a drop or a type change has none', () => {
  const inverse = (sql: string) => inverseOf(classify(sql) as Change)
  assert.equal(
    [
      "ALTER TABLE orders ADD COLUMN tier text DEFAULT 'none'",
      'CREATE INDEX orders_tier_idx ON sales.orders (tier)',
      "ALTER TABLE orders ADD CONSTRAINT tier_known CHECK (tier <> '') NOT VALID",
      'CREATE TABLE gift_cards (id int primary key)',
      'ALTER TABLE orders DROP COLUMN tier',
      'ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2)',
      'DROP INDEX orders_tier_idx',
    ].map(inverse),
    [
      'ALTER TABLE orders DROP COLUMN IF EXISTS tier',
      'DROP INDEX IF EXISTS sales.orders_tier_idx',
      'ALTER TABLE orders DROP CONSTRAINT IF EXISTS tier_known',
      'DROP TABLE IF EXISTS gift_cards',
      null,
      null,
      null,
    ],
  )
  assert.equal(
    ['ALTER TABLE orders DROP COLUMN IF EXISTS tier', 'DROP INDEX IF EXISTS sales.orders_tier_idx'].map(
      sql => (classify(sql) as Change).kind,
    ),
    ['drop-column', 'drop-index'],
  )
})

test.run()
