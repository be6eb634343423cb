// make migrate's reading of a DDL file, without a server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { classify, isRefusal, splitStatements } from '../../scripts/lib/migrate/statements.js'

const kind = (sql: string) => {
  const c = classify(sql)
  return isRefusal(c) ? `refused: ${c.why.split(':')[0]}` : `${c.kind} ${c.table} ${c.object}`
}

test('statements split on semicolons outside quotes, dollar quotes and comments', () => {
  assert.equal(
    splitStatements(
      "-- a comment; not a statement\nALTER TABLE orders ADD COLUMN note text DEFAULT 'a;b';\n/* x; y */ CREATE TABLE t (id int, body text DEFAULT $$;$$);\n\n;",
    ),
    ["ALTER TABLE orders ADD COLUMN note text DEFAULT 'a;b'", 'CREATE TABLE t (id int, body text DEFAULT $$;$$)'],
  )
})

test('each statement is classified by the change it makes', () => {
  assert.equal(
    [
      "ALTER TABLE orders ADD COLUMN tier text DEFAULT 'none'",
      'alter table public."Order Items" add "Gift Note" varchar(40)',
      'ALTER TABLE orders DROP COLUMN IF EXISTS tier',
      'ALTER TABLE order_items ALTER COLUMN quantity SET DATA TYPE bigint',
      'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID',
      'ALTER TABLE orders DROP CONSTRAINT total_positive',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_ref ON orders (order_number)',
      'DROP INDEX public.orders_ref',
      'CREATE TABLE gift_cards (id bigint PRIMARY KEY, code text)',
      'DROP TABLE IF EXISTS gift_cards',
    ].map(kind),
    [
      'add-column orders tier',
      'add-column public."Order Items" Gift Note',
      'drop-column orders tier',
      'alter-type order_items quantity',
      'add-constraint orders total_positive',
      'drop-constraint orders total_positive',
      'create-index orders orders_ref',
      'drop-index  orders_ref',
      'create-table gift_cards gift_cards',
      'drop-table gift_cards gift_cards',
    ],
  )
})

test('what cannot run safely under a live subscription is refused with its reason', () => {
  assert.equal(
    [
      'ALTER TABLE orders RENAME COLUMN total TO amount',
      'ALTER TABLE orders ADD COLUMN placed_at timestamptz DEFAULT now()',
      'ALTER TABLE orders ADD COLUMN placed_by text DEFAULT current_user',
      'ALTER TABLE orders ADD COLUMN code text NOT NULL',
      'ALTER TABLE orders ADD COLUMN a int, ADD COLUMN b int',
      'ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2) USING total * 100',
      'GRANT SELECT ON orders TO app',
    ].map(kind),
    [
      'refused: a RENAME under a live subscription stops apply',
      'refused: its DEFAULT now() is not a constant',
      'refused: its DEFAULT current_user is not a constant',
      'refused: NOT NULL without a DEFAULT fails on every table that holds rows',
      'refused: one change per ALTER TABLE statement',
      'refused: a type change with USING or COLLATE rewrites values differently per node',
      'refused: not a change make migrate knows how to order (ADD/DROP COLUMN, ALTER COLUMN TYPE, ADD/DROP CONSTRAINT, CREATE/DROP INDEX, CREATE/DROP TABLE)',
    ],
  )
  // A constant default, quoted text that looks like a call, and a cast are constants.
  assert.is(kind("ALTER TABLE orders ADD COLUMN note text DEFAULT 'now()'::text"), 'add-column orders note')
})

test.run()
