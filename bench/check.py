#!/usr/bin/env python3
"""`strata::check` benchmark (issue 15: 300 tables checked in under 100 ms, warm).

    python3 bench/check.py                 # N = 300
    python3 bench/check.py --sizes 300,1000 --runs 30 --no-build

For each N it creates a database `strata_check_bench_n<N>` from
`shared/bench/gen_schema.py -n N` (rebuilt every run: a few seconds), writes the same
schema as entity sources with `gen_strata.py` (and a copy with 10% of the tables
mutated), and runs `tests/examples/check_bench.rs` (release build) on both. The example
reads the entity sources with strata's scanner before the clock starts (what the derive
compiles into an app), opens one pooled connection, checks once to warm it, then times
`--runs` checks: structural (the default, read only) and with `compare_expressions`.
It also checks the reports: none against the same schema, and against the mutated
entities exactly one mismatch of the right kind per mutation gen_schema.py logs (exit
status 1 otherwise).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# gen_schema.py's mutations and the one mismatch each must give on its table (the
# entities are the mutated schema, the database the base one).
EXPECTED = {
    "add_column": ("missing_column", None),
    "drop_column": ("extra_column", None),
    "type_change": ("type_mismatch", None),
    "new_index": ("missing_index", None),
    "drop_fk": ("extra_constraint", "foreign_key"),
    "change_default": ("default_mismatch", None),
    "nullable_change": ("nullability_mismatch", None),
}


def verify(report_path, log_path):
    """The structural report holds exactly one mismatch per mutation, of its kind."""
    report = json.load(open(report_path))
    expected = {}
    for line in open(log_path):
        table, mutation = line.rstrip("\n").split("\t")
        expected[table] = EXPECTED[mutation]
    found = {}
    for m in report["mismatches"]:
        found.setdefault(m.get("table"), []).append((m["kind"], m.get("constraint")))
    problems = []
    for table, kind in sorted(expected.items()):
        got = found.pop(table, [])
        if got != [kind]:
            problems.append(f"{table}: expected {kind}, found {got}")
    for table, got in sorted(found.items()):
        problems.append(f"{table}: unexpected {got}")
    if problems:
        print("check FAILED:\n  " + "\n  ".join(problems))
        return False
    print(f"check ok: one mismatch of the right kind for each of the {len(expected)} mutations,"
          f" nothing else ({len(report.get('unverified', []))} unverified)")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="300")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--admin-url", default=os.environ.get(
        "STRATA_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared", "bench"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "strata-tests",
                        "--example", "check_bench"], cwd=REPO, check=True)
    exe = os.path.join(REPO, "target", "release", "examples", "check_bench")
    base_url = args.admin_url.rsplit("/", 1)[0]
    failed = False
    for n in [int(s) for s in args.sizes.split(",")]:
        db = f"strata_check_bench_n{n}"
        with tempfile.TemporaryDirectory() as tmp:
            sql = subprocess.run(
                [sys.executable, os.path.join(args.shared, "gen_schema.py"), "-n", str(n)],
                check=True, capture_output=True, text=True).stdout
            psql = ["psql", args.admin_url, "-q", "-v", "ON_ERROR_STOP=1"]
            subprocess.run(psql + ["-c", f'DROP DATABASE IF EXISTS "{db}"',
                                   "-c", f'CREATE DATABASE "{db}"'],
                           check=True, capture_output=True)
            subprocess.run(["psql", f"{base_url}/{db}", "-q", "-v", "ON_ERROR_STOP=1"],
                           input=sql, text=True, check=True, capture_output=True)
            log_path = os.path.join(tmp, "mutations.log")
            subprocess.run([sys.executable, os.path.join(args.shared, "gen_schema.py"),
                            "-n", str(n), "--mutate", "10", "--log", log_path],
                           check=True, capture_output=True)
            for label, mutate in [("same schema", "0"), ("10% of tables changed", "10")]:
                out = os.path.join(tmp, f"app{mutate}")
                subprocess.run([sys.executable, os.path.join(args.shared, "gen_strata.py"),
                                "-n", str(n), "--mutate", mutate, "--out", out], check=True)
                print(f"N={n}, {label}:", flush=True)
                report_path = os.path.join(tmp, f"report{mutate}.json")
                env = dict(os.environ, CHECK_BENCH_JSON=report_path)
                subprocess.run([exe, f"{base_url}/{db}", out, str(args.runs)], check=True,
                               env=env)
                if mutate == "0":
                    report = json.load(open(report_path))
                    if report["mismatches"]:
                        print(f"check FAILED: {len(report['mismatches'])} mismatches"
                              " against the same schema")
                        failed = True
                elif not verify(report_path, log_path):
                    failed = True
            subprocess.run(psql + ["-c", f'DROP DATABASE IF EXISTS "{db}"'],
                           check=True, capture_output=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
