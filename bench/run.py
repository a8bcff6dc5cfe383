#!/usr/bin/env python3
"""strata's generate benchmark (issue 6), one command: `python3 bench/run.py`.

For each N (100, 1000, 5000; `--quick`: 100, 1000) it
  1. builds a database `strata_bench_n<N>` from `shared/bench/gen_schema.py -n N`, plus
     views, functions and triggers on every 10th table (`dependent_objects_sql`), or
     reuses it when its marker (a database comment holding the SQL's hash) matches;
  2. writes two entity projects with `gen_strata.py`: the base schema, and the schema
     with 10% of the tables mutated (`--mutate 10`);
  3. runs, interleaved `--repeat` times, `pg_dump --schema-only` of the database,
     `strata generate x --dry-run` on the mutated entities ("changes") and on the base
     entities ("No changes"), measuring wall time, peak RSS (wait4's ru_maxrss) and
     strata's phase timings (`STRATA_TIMINGS=1`);
  4. checks the plans: the mutated entities give exactly one step per mutation
     gen_schema.py logged, each about its table, nothing else; the base entities give
     "No changes";
  5. prints medians and the ratios the issue sets targets for.

Exit status 1 when a plan check fails (the timings are still printed).
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Phases back to back (their sum is the run); "introspect" is what is left of the
# catalog read once the entities are parsed, since it runs beside scan and lower.
PHASES = ["setup", "scan", "lower", "introspect", "canonicalize", "diff", "render",
          "output"]
# The catalog read itself (connect + introspect, from its start), in the background.
BACKGROUND = "catalog read"

# gen_schema.py's mutations (MUTATIONS, mutate_model) and the step strata must plan for
# each: a regex over the step description, `{t}` standing for the table's name.
EXPECTED_STEP = {
    "add_column": r"^add column {t}\.extra_note\b",
    "drop_column": r"^drop column {t}\.updated_at\b",
    "type_change": r"^change type of {t}\.qty: integer -> bigint\b",
    "new_index": r"^create index {t}_amount_idx on {t}\b",
    "drop_fk": r"^drop foreign key {t}_\w+_fkey on {t}\b",
    "change_default": r"^change default of {t}\.qty: 0 -> 1\b",
    "nullable_change": r"^drop not null on {t}\.name\b",
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def measure(cmd, env=None, cwd=None):
    """Runs cmd with stdout/stderr captured: (wall seconds, peak RSS MiB, rc, out, err)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return (wall, usage.ru_maxrss / 1024.0, p.returncode,
            out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def psql(admin_url, sql):
    return run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", admin_url,
                "-c", sql], capture_output=True, text=True).stdout.strip()


def db_url(admin_url, name):
    """admin_url with its database replaced by `name`."""
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


# The catalogs temporary tables write to (see ensure_database).
VACUUMED_CATALOGS = ["pg_class", "pg_attribute", "pg_type", "pg_depend", "pg_constraint",
                     "pg_index", "pg_attrdef", "pg_description"]


def dependent_objects_sql(schema_sql):
    """Views, functions and triggers on the generated tables (issue 12): what a real
    database holds besides tables, for strata to read in the same fixed number of
    queries. They read columns no mutation touches (`id`, `code`, `created_at`), so the
    plans stay one step per mutation. Every 10th table gets a view, a function that
    reads it and a trigger calling a shared function; every 50th a view on that view."""
    tables = re.findall(r"^CREATE TABLE (\w+) \(", schema_sql, re.M)
    out = ["CREATE FUNCTION bench_touch() RETURNS trigger LANGUAGE plpgsql AS "
           "$$ BEGIN RETURN NEW; END $$;"]
    for i, t in enumerate(tables):
        if i % 10:
            continue
        out.append(f"CREATE VIEW {t}_v AS SELECT id, code, created_at FROM {t};")
        out.append(f"CREATE FUNCTION {t}_count() RETURNS bigint LANGUAGE sql STABLE "
                   f"AS $$ SELECT count(*) FROM {t} $$;")
        out.append(f"CREATE TRIGGER {t}_touch BEFORE UPDATE OF code ON {t} "
                   "FOR EACH ROW EXECUTE FUNCTION bench_touch();")
        if i % 50 == 0:
            out.append(f"CREATE VIEW {t}_vv AS SELECT id, code FROM {t}_v;")
    return "\n".join(out) + "\n"


def ensure_database(args, n, work):
    """The database of gen_schema.py -n n with dependent_objects_sql, built unless a
    matching one exists."""
    name = f"strata_bench_n{n}"
    sql_path = os.path.join(work, f"schema_{n}.sql")
    with open(sql_path, "w") as f:
        run([sys.executable, os.path.join(args.shared, "gen_schema.py"), "-n", str(n)],
            stdout=f)
    with open(sql_path) as f:
        extra = dependent_objects_sql(f.read())
    with open(sql_path, "a") as f:
        f.write(extra)
    with open(sql_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    marker = f"strata bench: gen_schema.py -n {n} + views, functions, triggers sha256:{digest}"
    found = psql(args.admin_url,
                 "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                 f"WHERE datname = '{name}'")
    url = db_url(args.admin_url, name)
    if found == marker and not args.rebuild:
        log(f"N={n}: reusing database {name} (its catalogs vacuumed first)")
        # Every `generate` that has fragments to spell creates temporary tables in a
        # rolled-back transaction, which leave dead catalog rows behind; where
        # autovacuum is off (as on these machines) they pile up over runs and slow
        # every catalog reader, pg_dump included. Each size starts from clean catalogs.
        run(["psql", "-X", "-q", "-d", url, "-c", "VACUUM " + ", ".join(
            f"pg_catalog.{t}" for t in VACUUMED_CATALOGS)], stdout=subprocess.DEVNULL)
        return url
    log(f"N={n}: building database {name} (once; reused by later runs)")
    psql(args.admin_url, f"DROP DATABASE IF EXISTS {name}")
    psql(args.admin_url, f"CREATE DATABASE {name}")
    start = time.perf_counter()
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", sql_path],
        stdout=subprocess.DEVNULL)
    run(["psql", "-X", "-q", "-d", url, "-c", "VACUUM ANALYZE"], stdout=subprocess.DEVNULL)
    # The marker goes last: a half-built database is never reused.
    psql(args.admin_url, f"COMMENT ON DATABASE {name} IS '{marker}'")
    log(f"N={n}: built in {time.perf_counter() - start:.1f} s")
    return url


def write_project(args, n, work, mutate):
    out = os.path.join(work, f"{'mutated' if mutate else 'base'}_{n}")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, os.path.join(args.shared, "gen_strata.py"), "-n", str(n),
           "--out", out]
    if mutate:
        cmd += ["--mutate", "10"]
    run(cmd)
    return out


def mutation_log(args, n, work):
    path = os.path.join(work, f"mutations_{n}.tsv")
    run([sys.executable, os.path.join(args.shared, "gen_schema.py"), "-n", str(n),
         "--mutate", "10", "--log", path], stdout=subprocess.DEVNULL)
    with open(path) as f:
        return [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]


def check_plan(steps, mutations):
    """Problems with the plan of the mutated entities: [] when it is exactly right."""
    problems = []
    unmatched = list(steps)
    for table, mutation in mutations:
        pattern = re.compile(EXPECTED_STEP[mutation].format(t=re.escape(table)))
        hits = [s for s in unmatched if pattern.search(s)]
        if len(hits) != 1:
            problems.append(f"{table} ({mutation}): {len(hits)} matching steps")
        for h in hits[:1]:
            unmatched.remove(h)
    problems += [f"unexpected step: {s}" for s in unmatched]
    return problems


def timings(stderr):
    out = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "strata-timing":
            out[parts[1]] = out.get(parts[1], 0.0) + float(parts[2]) / 1000.0
        elif len(parts) == 3 and parts[0] == "strata-timing-background" \
                and parts[1] == "introspect":
            out[BACKGROUND] = float(parts[2]) / 1000.0
    return out


def strata_cmd(binary, json_output=False):
    cmd = [binary, "generate", "x", "--dry-run"]
    return cmd + ["--json"] if json_output else cmd


def bench_size(args, binary, n, work):
    url = ensure_database(args, n, work)
    mutated = write_project(args, n, work, mutate=True)
    base = write_project(args, n, work, mutate=False)
    env = dict(os.environ, DATABASE_URL=url, STRATA_TIMINGS="1")
    env.pop("RUST_LOG", None)

    # The plans first, once, with --json for the steps (not timed).
    result = {"n": n, "problems": []}
    for name, project in [("changes", mutated), ("no_changes", base)]:
        _, _, rc, out, err = measure(strata_cmd(binary, True), env=env, cwd=project)
        if rc != 0:
            result["problems"].append(f"{name}: strata exited {rc}: {err.strip()[-2000:]}")
            continue
        plan = json.loads(out)
        if name == "changes":
            result["steps"] = len(plan.get("steps", []))
            result["problems"] += check_plan(plan.get("steps", []), mutation_log(args, n, work))
        elif plan.get("changes"):
            result["problems"] += [f"no_changes: unexpected step: {s}" for s in plan["steps"]]

    samples = {"pg_dump": [], "changes": [], "no_changes": [], "verified": []}
    rss = {"pg_dump": [], "changes": [], "no_changes": [], "verified": []}
    phases = {"changes": [], "no_changes": []}
    for r in range(args.repeat):
        log(f"N={n}: run {r + 1}/{args.repeat}")
        wall, peak, rc, _, err = measure(["pg_dump", "--schema-only", "-d", url,
                                          "-f", os.devnull])
        if rc != 0:
            raise SystemExit(f"pg_dump failed: {err}")
        samples["pg_dump"].append(wall)
        rss["pg_dump"].append(peak)
        for name, project in [("changes", mutated), ("no_changes", base)]:
            wall, peak, rc, _, err = measure(strata_cmd(binary), env=env, cwd=project)
            if rc != 0:
                raise SystemExit(f"strata failed ({name}, N={n}): {err}")
            samples[name].append(wall)
            rss[name].append(peak)
            phases[name].append(timings(err))
        # Issue 13: the plan of the mutated entities proven on a scratch copy of what
        # it touches (`--verify` with `--dry-run`: proven, not written).
        wall, peak, rc, _, err = measure(strata_cmd(binary) + ["--verify"], env=env,
                                         cwd=mutated)
        if rc != 0:
            raise SystemExit(f"strata failed (verified, N={n}): {err}")
        samples["verified"].append(wall)
        rss["verified"].append(peak)

    med = {k: statistics.median(v) for k, v in samples.items()}
    result.update({
        "wall": med,
        "peak_mib": {k: max(v) for k, v in rss.items()},
        "phases": {k: {p: statistics.median(t.get(p, 0.0) for t in v)
                       for p in PHASES + [BACKGROUND]}
                   for k, v in phases.items()},
    })
    return result


def print_report(results):
    out = []
    out.append("| N | pg_dump s | generate (changes) s | ratio | generate (no changes) s | "
               "ratio | peak MiB | plan |")
    out.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        w = r["wall"]
        ok = "ok" if not r["problems"] else f"{len(r['problems'])} PROBLEMS"
        out.append(f"| {r['n']} | {w['pg_dump']:.3f} | {w['changes']:.3f} | "
                   f"{w['changes'] / w['pg_dump']:.2f}x | {w['no_changes']:.3f} | "
                   f"{w['no_changes'] / w['pg_dump']:.2f}x | "
                   f"{max(r['peak_mib']['changes'], r['peak_mib']['no_changes']):.0f} | "
                   f"{ok} ({r.get('steps', '?')} steps) |")
    out.append("")
    out.append("Phases of `generate --dry-run` (changes / no changes), milliseconds:")
    out.append("")
    out.append("| N | " + " | ".join(PHASES + [BACKGROUND]) + " |")
    out.append("|---|" + "---|" * (len(PHASES) + 1))
    for r in results:
        cells = [f"{r['phases']['changes'][p] * 1000:.0f} / "
                 f"{r['phases']['no_changes'][p] * 1000:.0f}" for p in PHASES + [BACKGROUND]]
        out.append(f"| {r['n']} | " + " | ".join(cells) + " |")
    out.append("")
    for r in results:
        w = r["wall"]
        out.append(f"N={r['n']}: generate with verification (changes, `--dry-run --verify`): "
                   f"{w['verified']:.3f} s = {w['verified'] / w['pg_dump']:.2f}x pg_dump "
                   f"(target <= 1x), peak {r['peak_mib']['verified']:.0f} MiB")
    by_n = {r["n"]: r for r in results}
    if 1000 in by_n and 5000 in by_n:
        out.append("")
        for case in ["changes", "no_changes"]:
            g = by_n[5000]["wall"][case] / by_n[1000]["wall"][case]
            out.append(f"Growth N=1000 -> 5000 ({case}): {g:.2f}x (target <= 6x; "
                       f"pg_dump: {by_n[5000]['wall']['pg_dump'] / by_n[1000]['wall']['pg_dump']:.2f}x)")
    for r in results:
        for p in r["problems"]:
            out.append(f"N={r['n']}: {p}")
    print("\n".join(out))


def machine():
    pg = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}); {pg}"


RUNNER_MIGRATIONS = 1000


def fresh_project(args, work, kind):
    """An empty database `strata_bench_<kind>` and a project directory with an empty
    migrations folder: (database name, its URL, the project, the migrations folder)."""
    name = f"strata_bench_{kind}"
    psql(args.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(args.admin_url, f"CREATE DATABASE {name}")
    project = os.path.join(work, kind)
    migrations = os.path.join(project, "migrations")
    os.makedirs(migrations)
    return name, db_url(args.admin_url, name), project, migrations


def bench_runner(args, binary, work):
    """`run` with 1000 small pending migrations against the same SQL sent by psql, each
    statement in its own transaction as strata runs it; then `status` with all 1000."""
    name, url, project, migrations = fresh_project(args, work, "runner")
    script = []
    for i in range(RUNNER_MIGRATIONS):
        version = 20260101000000 + i
        up = f"CREATE TABLE runner_t{i} (id bigint PRIMARY KEY, note text);\n"
        with open(os.path.join(migrations, f"{version}_t{i}.up.sql"), "w") as f:
            f.write(up)
        with open(os.path.join(migrations, f"{version}_t{i}.down.sql"), "w") as f:
            f.write(f"DROP TABLE runner_t{i};\n")
        script.append(f"BEGIN;\n{up}COMMIT;\n")
    env = dict(os.environ, DATABASE_URL=url)
    run_wall, _, rc, _, err = measure([binary, "run", "-q"], env=env, cwd=project)
    if rc != 0:
        raise SystemExit(f"strata run failed:\n{err}")
    status_wall, _, rc, _, err = measure([binary, "status"], env=env, cwd=project)
    if rc != 0:
        raise SystemExit(f"strata status reported a problem:\n{err}")
    # The same SQL through psql, on a fresh database: the cost of the SQL itself.
    psql(args.admin_url, f"DROP DATABASE {name} WITH (FORCE)")
    psql(args.admin_url, f"CREATE DATABASE {name}")
    sql_file = os.path.join(work, "runner.sql")
    with open(sql_file, "w") as f:
        f.write("".join(script))
    sql_wall, _, rc, _, err = measure(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                       "-d", url, "-f", sql_file])
    psql(args.admin_url, f"DROP DATABASE {name} WITH (FORCE)")
    if rc != 0:
        raise SystemExit(f"psql failed:\n{err}")
    return {
        "migrations": RUNNER_MIGRATIONS,
        "run_s": run_wall,
        "sql_s": sql_wall,
        "overhead_ms_per_migration": (run_wall - sql_wall) * 1000 / RUNNER_MIGRATIONS,
        "status_s": status_wall,
    }


VERIFY_MIGRATIONS = 200


def bench_verify(args, binary, work):
    """`strata verify` of a folder of 200 small migrations (tables, columns, indexes,
    foreign keys, a view and its change), each checked up, down and up again on a
    scratch database made on the server of an empty target database."""
    name, url, project, migrations = fresh_project(args, work, "verify")
    steps = []
    for i in range(VERIFY_MIGRATIONS // 4):
        steps += [
            (f"CREATE TABLE v{i} (id bigint PRIMARY KEY, name text NOT NULL);\n",
             f"DROP TABLE v{i};\n"),
            (f"ALTER TABLE v{i} ADD COLUMN parent_id bigint"
             + (f" REFERENCES v{i - 1} (id)" if i else "") + ";\n",
             f"ALTER TABLE v{i} DROP COLUMN parent_id;\n"),
            (f"CREATE INDEX v{i}_name_idx ON v{i} (name);\n",
             f"DROP INDEX v{i}_name_idx;\n"),
            (f"CREATE VIEW v{i}_names AS SELECT id, name FROM v{i};\n",
             f"DROP VIEW v{i}_names;\n"),
        ]
    for i, (up, down) in enumerate(steps):
        version = 20260101000000 + i
        with open(os.path.join(migrations, f"{version}_m{i}.up.sql"), "w") as f:
            f.write(up)
        with open(os.path.join(migrations, f"{version}_m{i}.down.sql"), "w") as f:
            f.write(down)
    os.makedirs(os.path.join(project, "src"))
    # No entities: the tables are excluded, so the last check ("No changes") holds.
    with open(os.path.join(project, "strata.toml"), "w") as f:
        f.write('exclude = ["v*"]\n')
    env = dict(os.environ, DATABASE_URL=url)
    wall, peak, rc, _, err = measure([binary, "verify"], env=env, cwd=project)
    psql(args.admin_url, f"DROP DATABASE {name} WITH (FORCE)")
    if rc != 0:
        raise SystemExit(f"strata verify failed (exit {rc}):\n{err}")
    return {"migrations": len(steps), "verify_s": wall, "peak_mib": peak}


def print_verify(r):
    print()
    print(f"`strata verify` of {r['migrations']} small migrations (each up, down, up "
          f"again, the catalog read after each): {r['verify_s']:.2f} s "
          f"(target < 60 s), peak {r['peak_mib']} MiB")


def print_runner(r):
    print()
    own = r['overhead_ms_per_migration']
    # Each migration commits, so both runs are mostly fsyncs, whose time varies more
    # than strata's own work: a run faster than psql's says only "too small to see".
    own_text = (f"{own:.2f} ms per migration" if own >= 0 else
                f"none measurable ({own:.2f} ms per migration: strata was the faster)")
    print(f"`strata run` with {r['migrations']} small pending migrations: {r['run_s']:.2f} s; "
          f"the same SQL through psql: {r['sql_s']:.2f} s; strata's own time: "
          f"{own_text} (target <= 10 ms)")
    print(f"`strata status` with {r['migrations']} applied migrations: {r['status_s']:.3f} s "
          f"(target < 0.5 s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared", "bench"),
                    help="directory of gen_schema.py and gen_strata.py "
                         "[default: ../shared/bench next to the repository]")
    ap.add_argument("--admin-url", default=os.environ.get(
        "STRATA_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                    help="a database to create the benchmark databases from")
    ap.add_argument("--sizes", default="100,1000,5000", help="comma-separated N")
    ap.add_argument("--quick", action="store_true", help="N = 100 and 1000 only")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per size (median)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the databases")
    ap.add_argument("--no-build", action="store_true", help="use target/release/strata as is")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--no-runner", action="store_true",
                    help="skip the run/status benchmark with 1000 migrations and the "
                         "verify benchmark with 200")
    args = ap.parse_args()
    if os.path.isfile(os.path.join(args.shared, "bench", "gen_schema.py")):
        args.shared = os.path.join(args.shared, "bench")      # --shared ../shared
    if not os.path.isfile(os.path.join(args.shared, "gen_schema.py")):
        raise SystemExit(f"no gen_schema.py in {args.shared}; pass --shared DIR")
    sizes = [100, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]

    if not args.no_build:
        log("building the release binary")
        run(["cargo", "build", "--release", "-q", "-p", "strata-cli"], cwd=REPO)
    binary = os.path.join(REPO, "target", "release", "strata")

    results = []
    runner = None
    verify = None
    with tempfile.TemporaryDirectory(prefix="strata_bench_") as work:
        for n in sizes:
            results.append(bench_size(args, binary, n, work))
        if not args.no_runner:
            log(f"runner: {RUNNER_MIGRATIONS} migrations")
            runner = bench_runner(args, binary, work)
            log(f"verify: {VERIFY_MIGRATIONS} migrations")
            verify = bench_verify(args, binary, work)
    print(f"Machine: {machine()}")
    print()
    print_report(results)
    if runner:
        print_runner(runner)
    if verify:
        print_verify(verify)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "results": results, "runner": runner,
                       "verify": verify}, f,
                      indent=2)
    sys.exit(1 if any(r["problems"] for r in results) else 0)


if __name__ == "__main__":
    main()
