#!/usr/bin/env bash
# strata on the bundled example, as a new user would run it:
#   1. apply the example's committed migrations to a scratch database (strata run),
#   2. show the history (strata status),
#   3. generate against the entities: the database already matches them ("No changes"),
#   4. prove every migration on a scratch database (strata verify),
#   5. compare the database with what its migrations build (strata drift),
#   6. the app itself checks its database at startup (shop --check-db: strata::check),
#   7. add a field to a copy of the entities and show the migration strata would write,
#      proven on a scratch copy first.
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres). Override with DEMO_ADMIN_URL.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

admin_url="${DEMO_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="strata_shop_demo"
export DATABASE_URL="${admin_url%/*}/$db"

echo "==> building strata and the shop app"
cargo build -q -p strata-cli -p shop
strata="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/strata"

echo "==> fresh database $db"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"

step() { echo; echo "==> strata $*"; "$strata" "$@"; }

step run
step status
step generate check_in_sync
step verify
step drift

echo; echo "==> shop --check-db (the app compares its database with its compiled entities)"
"$(dirname "$strata")/shop" --check-db

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r src migrations strata.toml "$work/"
python3 - "$work/src/entities.rs" <<'PY'
import sys
path = sys.argv[1]
src = open(path).read()
src = src.replace(
    "    pub phone: Option<String>,\n",
    "    pub phone: Option<String>,\n    #[entity(comment = \"Where parcels go\")]\n    pub shipping_address: Option<String>,\n",
)
open(path, "w").write(src)
PY
echo
echo "==> added Customer::shipping_address to a copy of the entities in $work"
cd "$work"
step diff
step generate add_shipping_address --dry-run --verify
