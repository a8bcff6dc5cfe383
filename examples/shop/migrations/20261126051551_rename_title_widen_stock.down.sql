-- strata migration: rename_title_widen_stock (down)
-- Undoes the up file of rename_title_widen_stock: run after it, it restores the schema as it was before.
--
-- Reverts, in this order:
--   3. set comment on column products.title
--   2. change type of products.stock: integer -> bigint
--   1. rename column products.name -> title
--
-- Not restored as it was:
--   - change type of products.stock: converting back to integer may fail or lose precision on values written since

-- 3.
COMMENT ON COLUMN products.title IS NULL;

-- 2.
ALTER TABLE products ALTER COLUMN stock DROP DEFAULT;
ALTER TABLE products ALTER COLUMN stock TYPE integer USING stock::integer;
ALTER TABLE products ALTER COLUMN stock SET DEFAULT 0;

-- 1.
ALTER TABLE products RENAME COLUMN title TO name;
