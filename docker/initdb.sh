#!/usr/bin/env bash
# Runs once when a container's data directory is created: includes replkit's shared settings,
# installs the pg_hba.conf template and gives the node TLS, as the local cluster does.
set -euo pipefail
echo "include '/etc/replkit/postgresql.conf'" >> "$PGDATA/postgresql.conf"
sed 's|{{CLIENT_CIDR}}|samenet|' /etc/replkit/pg_hba.conf > "$PGDATA/pg_hba.conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj "/CN=$(hostname)" -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
chmod 600 "$PGDATA/server.key"
echo "ssl = on" >> "$PGDATA/postgresql.conf"
