-- PRIMARY: would the replication role's next connection be admitted? Its login, REPLICATION and
-- password expiry from pg_roles, and pg_hba.conf as the file reads now (pg_hba_file_rules parses it
-- on every call: a line removed and reloaded shows here before any walsender reconnects). rules is
-- NULL where this role may not read pg_hba_file_rules (superuser, or granted EXECUTE on it).
-- Parameters: $1 the replication role.
SELECT r.rolcanlogin AS can_login,
       r.rolreplication AS replication,
       r.rolvaliduntil AS valid_until,
       CASE WHEN has_function_privilege('pg_hba_file_rules()', 'EXECUTE') THEN
         (SELECT coalesce(json_agg(json_build_object('line', h.line_number, 'type', h.type, 'database', h.database,
                                                     'users', h.user_name, 'address', h.address, 'netmask', h.netmask,
                                                     'method', h.auth_method, 'error', h.error) ORDER BY h.line_number), '[]')
            FROM pg_hba_file_rules h)
       END AS rules
  FROM pg_roles r
 WHERE r.rolname = $1;
