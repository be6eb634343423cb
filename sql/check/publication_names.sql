-- PRIMARY: publications in this database, including any that publish nothing yet.
SELECT pubname AS name, puballtables AS all_tables,
       pubinsert AS inserts, pubupdate AS updates, pubdelete AS deletes, pubtruncate AS truncates
  FROM pg_publication
 ORDER BY pubname;
