-- On the replica: skip the remote transaction that stops the apply worker (PostgreSQL 15+).
-- It drops the WHOLE transaction on this replica — every row it inserted, updated or deleted,
-- not only the conflicting one — so the replica diverges from the PRIMARY from here on
-- (make check shows it as a checksum mismatch). make sync is the lossless repair.
-- The LSN is the transaction's finish LSN from the server log. Variables: :subscription, :lsn.
ALTER SUBSCRIPTION :"subscription" SKIP (lsn = :'lsn');
