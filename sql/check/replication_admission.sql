-- PRIMARY: would the replication role's next connection be admitted? Its login, REPLICATION and
-- password expiry from pg_roles, and pg_hba.conf as the file reads now (pg_hba_file_rules parses it
-- on every call: a line removed and reloaded shows here before any walsender reconnects). rules is
-- left out where this role may not read pg_hba_file_rules (superuser, or a GRANT: sql-files.ts forRole).
-- Parameters: $1 the replication role.
SELECT r.rolcanlogin AS can_login,
       (SELECT coalesce(json_agg(json_build_object('line', h.line_number, 'type', h.type, 'database', h.database, -- needs pg_hba_file_rules
                                                   'users', h.user_name, 'address', h.address, 'netmask', h.netmask, -- needs pg_hba_file_rules
                                                   'method', h.auth_method, 'error', h.error) ORDER BY h.line_number), '[]') -- needs pg_hba_file_rules
          FROM pg_hba_file_rules h) AS rules, -- needs pg_hba_file_rules
       r.rolreplication AS replication,
       r.rolvaliduntil AS valid_until
  FROM pg_roles r
 WHERE r.rolname = $1;
