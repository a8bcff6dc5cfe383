-- strata migration: rename_title_widen_stock
-- Review this file before committing it. Generated from the entities by `strata generate`.
--
-- Changes:
--   1. rename column products.name -> title
--      hazard breaks_old_clients: code still using the old definition breaks once this runs
--   2. change type of products.stock: integer -> bigint
--      hazard rewrites_table: the table is rewritten under an ACCESS EXCLUSIVE lock
--   3. set comment on column products.title

ALTER TABLE products RENAME COLUMN name TO title;

ALTER TABLE products ALTER COLUMN stock DROP DEFAULT;

ALTER TABLE products ALTER COLUMN stock TYPE bigint USING stock::bigint;

ALTER TABLE products ALTER COLUMN stock SET DEFAULT 0;

COMMENT ON COLUMN products.title IS 'Shown in the catalogue';
