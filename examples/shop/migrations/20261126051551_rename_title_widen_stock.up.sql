-- strata migration: rename_title_widen_stock
-- Review this file before committing it. Generated from the entities by `strata generate`.
--
-- Changes:
--   1. rename column products.name -> title
--      lock: ACCESS EXCLUSIVE
--      hazard access_exclusive_lock: reads and writes of the table wait for it, and it waits for every open transaction on the table
--      hazard breaks_old_clients: code still using the old definition breaks once this runs
--   2. change type of products.stock: integer -> bigint
--      lock: ACCESS EXCLUSIVE
--      hazard rewrites_table: the table is rewritten under an ACCESS EXCLUSIVE lock
--      hazard access_exclusive_lock: reads and writes of the table wait for it, and it waits for every open transaction on the table
--      hazard breaks_old_clients: code still using the old definition breaks once this runs
--   3. set comment on column products.title
--      lock: SHARE UPDATE EXCLUSIVE

-- 1. [access_exclusive_lock, breaks_old_clients]
ALTER TABLE products RENAME COLUMN name TO title;

-- 2. [rewrites_table, access_exclusive_lock, breaks_old_clients]
ALTER TABLE products ALTER COLUMN stock DROP DEFAULT;
ALTER TABLE products ALTER COLUMN stock TYPE bigint USING stock::bigint;
ALTER TABLE products ALTER COLUMN stock SET DEFAULT 0;

-- 3.
COMMENT ON COLUMN products.title IS 'Shown in the catalogue';
