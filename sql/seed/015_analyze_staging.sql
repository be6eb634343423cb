-- Autovacuum never analyzes temporary tables: without statistics the planner guesses the staging
-- table's size and value spread when it picks the upserts' join strategies.
ANALYZE replkit_seed_staging
