-- DROP OWNED revokes the role's grants in this database (it owns nothing), so DROP ROLE can
-- succeed. Variables: :role.
SELECT format('DROP OWNED BY %I', :'role')
WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('DROP ROLE %I', :'role')
WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
