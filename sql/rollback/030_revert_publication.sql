-- On the PRIMARY, after the subscriptions are gone. Variables: :publication.
DROP PUBLICATION IF EXISTS :"publication";
