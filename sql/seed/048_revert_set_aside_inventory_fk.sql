-- Puts back the foreign keys 041 set aside, by their names and definitions as they were. Adding
-- one checks every inventory row in one anti-join against products; it runs after the ANALYZE
-- that follows the load (015), so the planner knows both tables' sizes. An orphan row fails the
-- seed here and rolls it all back.
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN SELECT name, definition FROM replkit_seed_set_aside LOOP
        EXECUTE format('ALTER TABLE public.inventory ADD CONSTRAINT %I %s', fk.name, fk.definition);
    END LOOP;
END
$$;

SELECT count(*)::int AS checked FROM replkit_seed_set_aside
