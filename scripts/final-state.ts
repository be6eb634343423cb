// The end of make demo: the runbook's "Expected Final State", read from the nodes themselves.

import { withNode } from './lib/db.js'
import { subscriptionName } from './lib/replication/names.js'
import { colour, main } from './lib/output.js'
import { CANARY_PREFIX } from './lib/checks/canary.js'
import { fingerprints, onReplica, publishedParts } from './lib/checks/fingerprint.js'
import { loadClusterConfig } from './lib/replication/roles.js'
import { cli } from './lib/flags.js'

const line = (ok: boolean, text: string) => console.log(`  ${ok ? colour.green('✓') : colour.red('✗')} ${text}`)

await cli(
  'final-state',
  "$0\n\nThe runbook's Expected Final State, read from the nodes: products seeded, publication, wal_level, subscriptions, rows.",
).parse()

main(
  async () => {
    const config = await loadClusterConfig()
    let healthy = true
    const check = (ok: boolean, text: string) => {
      healthy &&= ok
      line(ok, text)
    }
    const products = `select count(*)::int as n from public.products where sku not like '${CANARY_PREFIX}%'`
    // Tables sent in part are summed over what is sent: the filtered rows here, the listed columns everywhere.
    const parts = await withNode(config.primary, sql => publishedParts(sql, config.publication, config.tables))
    const primary = await withNode(config.primary, async sql => ({
      products: (await sql.unsafe(products))[0].n as number,
      publication:
        (await sql`select count(*)::int as n from pg_publication where pubname = ${config.publication}`)[0].n === 1,
      walLevel: (await sql`show wal_level`)[0].wal_level as string,
      figures: JSON.stringify(await fingerprints(sql, config.tables, parts)),
    }))
    console.log(colour.bold('\nPRIMARY:'))
    check(primary.products === 30, `${primary.products} products seeded`)
    check(primary.publication, `Publication ${config.publication} ${primary.publication ? 'exists' : 'is missing'}`)
    check(primary.walLevel === 'logical', `WAL level = ${primary.walLevel}`)
    for (const [i, replica] of config.replicas.entries()) {
      const name = subscriptionName(replica)
      const state = await withNode(replica, async sql => ({
        products: (await sql.unsafe(products))[0].n as number,
        active:
          (
            await sql`select count(*)::int as n from pg_subscription s join pg_stat_subscription w using (subname)
                          where s.subname = ${name} and s.subenabled and w.pid is not null and w.relid is null`
          )[0].n >= 1, // 16+: parallel apply workers too
        figures: JSON.stringify(await fingerprints(sql, config.tables, onReplica(parts))),
      }))
      console.log(colour.bold(`\nREPLICA ${i + 1} (${replica.name}):`))
      check(state.products === primary.products, `${state.products} products (synced from PRIMARY)`)
      check(state.active, `Subscription ${name} ${state.active ? 'active' : 'NOT active'}`)
      check(
        state.figures === primary.figures,
        `Data ${state.figures === primary.figures ? 'matches' : 'DIFFERS from'} PRIMARY (counts and checksums of ${config.tables.length} tables)`,
      )
    }
    console.log('')
    return healthy ? 0 : 2
  },
  { deadlineMs: 120_000 },
)
