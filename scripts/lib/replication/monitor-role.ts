// MONITOR_USER: a login role that make check and make metrics can run as instead of a superuser.
// make replicate grants it, on every node, what they read (sql/replication/070_monitor_role.sql);
// the role, its login and its password stay the operator's. Re-run: nothing to grant, said so.
import { sqlName } from '../table-name.js'
import { type Config, type NodeSpec, allNodes } from '../config.js'
import { withNode } from '../db.js'
import { GUARDED_VIEWS } from '../sql-files.js'
import { qualifiedTables } from './names.js'
import { type SetupContext, runFile } from './setup-context.js'

/** Whether the role already has every grant 070_monitor_role.sql gives on this node. */
async function granted(node: NodeSpec, role: string, config: Config): Promise<boolean> {
  const tables = config.tables.map(sqlName)
  const [row] = await withNode(
    node,
    sql => sql`
    select pg_has_role(${role}, 'pg_monitor', 'MEMBER')
       and (select bool_and(has_table_privilege(${role}, v, 'SELECT') and has_function_privilege(${role}, f, 'EXECUTE'))
              from unnest(${Object.keys(GUARDED_VIEWS)}::text[], ${Object.values(GUARDED_VIEWS)}::text[]) as g(v, f))
       and (select bool_and(to_regclass(t) is null or has_table_privilege(${role}, t, 'SELECT')) from unnest(${tables}::text[]) t)
       and (select coalesce(bool_and(has_sequence_privilege(${role}, d.objid, 'SELECT')), true)
              from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
             where d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')
               and d.refobjid = any (select to_regclass(t) from unnest(${tables}::text[]) t))
       as done`,
  )
  return row.done === true
}

export async function monitorRole(c: SetupContext): Promise<void> {
  const role = c.config.monitorUser
  if (!role) return
  let changed = 0
  for (const node of allNodes(c.config)) {
    if (!c.dryRun && (await granted(node, role, c.config))) continue
    await runFile(c, node, '070_monitor_role.sql', { role, dbname: node.database, tables: qualifiedTables(c.config) })
    changed++
  }
  c.steps.ok(
    `role ${role} (MONITOR_USER) on every node: pg_monitor, SELECT on the ${c.config.tables.length} published tables and their sequences, and ${Object.keys(GUARDED_VIEWS).join(', ')}: make check and make metrics run as it; it writes nothing`,
    changed > 0,
  )
}
