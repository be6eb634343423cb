import { loadConfig } from '/work/main/scripts/lib/config.js'
import { connect } from '/work/main/scripts/lib/db.js'
import { compareTable } from '/work/main/scripts/lib/compare/at-lsn.js'
const config = loadConfig()
const s = (spec: any) => ({ ...spec, database: 'scratch' })
const p = { name: 'primary', sql: connect(s(config.primary)), spec: s(config.primary) }
const rs = config.replicas.map(r => ({ name: r.name, sql: connect(s(r)), spec: s(r), subscription: null }))
for (const table of process.argv.slice(2)) for (const rows of [false, true]) {
  const res = await compareTable(p, rs, table, { rows, timeoutMs: 30000 })
  console.log(JSON.stringify(res))
}
await Promise.all([p, ...rs].map(n => n.sql.end()))
