-- Before each batch of the file: the last batch's rows and delta are done with.
TRUNCATE replkit_seed_staging, replkit_seed_delta
