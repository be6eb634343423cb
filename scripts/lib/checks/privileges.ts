// What make check could not see because its role may not read a view PostgreSQL keeps from
// roles without superuser: said as a note on the node concerned, with the GRANT that shows it.
// A monitoring role (pg_monitor) reads everything else; these three need a GRANT each.
import type { ClusterFacts } from './facts.js'
import { GUARDED_VIEWS, type GuardedView } from '../sql-files.js'

/** What each guarded view tells make check, on the nodes where it matters. */
const UNSEEN: Record<GuardedView, { on: 'primary' | 'replica' | 'any'; without: string }> = {
  pg_replication_origin_status: {
    on: 'replica',
    without:
      "the PRIMARY's position of the last transaction it applied: the lag of one being applied is the walsender's, which counts streamed changes as they are spooled (the open apply transaction still keeps check from OK)",
  },
  pg_hba_file_rules: {
    on: 'primary',
    without: 'pg_hba.conf as it reads now: a line that would refuse the replicas shows only once they reconnect',
  },
  pg_file_settings: {
    on: 'any',
    without: 'the configuration files: a wal_level set there but not yet applied by a restart is not seen',
  },
}

/** A role without superuser may not read some views: said, with what it hides and the GRANT that shows it. */
export function unreadableNotes(facts: ClusterFacts): string[] {
  const sequences = [facts.primary, ...facts.replicas].flatMap(node =>
    node.sequences
      .filter(s => !s.readable)
      .map(
        s =>
          `${node.name}: role ${node.server?.role ?? 'this role'} may not read sequence ${s.sequence}, so make check does not see how far the replicas' sequences are behind; as a superuser: GRANT SELECT ON SEQUENCE ${s.sequence} TO ${node.server?.role ?? 'it'};`,
      ),
  )
  return [...viewNotes(facts), ...sequences]
}

function viewNotes(facts: ClusterFacts): string[] {
  return [facts.primary, ...facts.replicas].flatMap(node =>
    (node.server?.unreadable ?? [])
      .filter(view => UNSEEN[view].on === 'any' || UNSEEN[view].on === node.role)
      .map(
        view =>
          `${node.name}: role ${node.server!.role} may not read ${view}, so make check does not see ${UNSEEN[view].without}; as a superuser: GRANT SELECT ON ${view} TO ${node.server!.role}; GRANT EXECUTE ON FUNCTION ${GUARDED_VIEWS[view]} TO ${node.server!.role};`,
      ),
  )
}
