#!/usr/bin/env bash
# make setup: install what replkit needs from the project's own files; cheap and silent when all
# is present (what it says goes to stderr, so `make check ARGS=--json` stays pure JSON).
# PostgreSQL 15 server, pgTAP, pg_prove, Prometheus, pgcopydb and PgBouncer come from Debian; npm packages from the lockfile,
# among them the server builds of PostgreSQL 16, 17 and 18 (PG_VERSIONS).
set -euo pipefail
cd "$(dirname "$0")/.."

bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
missing=()
[ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ] || missing+=(postgresql-15)
command -v psql >/dev/null && command -v pgbench >/dev/null || missing+=(postgresql-client-15)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || missing+=(postgresql-15-pgtap)
command -v pg_prove >/dev/null || missing+=(libtap-parser-sourcehandler-pgtap-perl)
command -v openssl >/dev/null || missing+=(openssl)
# Prometheus and promtool: the alert rules' unit tests and the exporter's integration test.
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
# pgcopydb: make bench's initial-copy baseline (the tool operators use to clone a database).
command -v pgcopydb >/dev/null || missing+=(pgcopydb)
# PgBouncer: a pooler in front of the PRIMARY that make switchover pauses and repoints (PGBOUNCER_PORT).
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "replkit: missing ${missing[*]}; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}" >&2
  # replkit runs its own clusters; Debian's default one on port 5432 would only take memory.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/npm-deps.sh

# pgTAP is plain SQL: Debian's files make CREATE EXTENSION pgtap work in the npm builds too.
for ext in node_modules/pg1[6-9]/native/share/postgresql/extension; do
  [ -d "$ext" ] && [ ! -f "$ext/pgtap.control" ] && cp /usr/share/postgresql/15/extension/pgtap* "$ext/"
done
exit 0
