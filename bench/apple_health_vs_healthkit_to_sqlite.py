"""Benchmark: Careloop's Apple Health reader against `healthkit-to-sqlite` (PyPI) on the same export.zip.

Creates an isolated venv for healthkit-to-sqlite (var/healthkit-venv; it pins its own dependencies, so it
never shares .venv), reuses or generates the ~1,000,000-record synthetic export of
bench/apple_health_throughput.py, then runs each tool in its own process:

* healthkit-to-sqlite: `healthkit-to-sqlite --silent export.zip out.db` (a fresh out.db each run), and
  the records it stored are counted with `SELECT count(*)` over its `r*` record tables and `workouts`;
* Careloop: apple_health_throughput.py's own `--parse` path (streams every table, writes nothing).

Each command is started by a small measuring process of this script, which times the command's wall
clock and reads `resource.getrusage(RUSAGE_CHILDREN)` for its only child, so CPU time and peak RSS cover
the whole process (interpreter start, imports, parse, and for healthkit-to-sqlite the SQLite writes).
The load average is printed before each run.

    .venv/bin/python bench/apple_health_vs_healthkit_to_sqlite.py [--records 1000000]
"""

import argparse
import importlib.util
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEALTHKIT_VENV = ROOT / "var" / "healthkit-venv"
HEALTHKIT_CLI = HEALTHKIT_VENV / "bin" / "healthkit-to-sqlite"
THROUGHPUT = Path(__file__).resolve().parent / "apple_health_throughput.py"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--measure", nargs=argparse.REMAINDER, help="internal: run this command, print JSON")
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    setup_venv()
    export = throughput_module().generate(args.records)
    print(f"export: {export.relative_to(ROOT)} ({export.stat().st_size / 2**20:.0f} MiB zip)")
    careloop = run_careloop(export)
    healthkit = run_healthkit(export)
    print()
    print(f"{'':34} {'Careloop':>16} {'healthkit-to-sqlite':>20}")
    rows = [
        ("load average (1 min) before", f"{careloop['load']:.2f}", f"{healthkit['load']:.2f}"),
        ("records", f"{careloop['records']:,}", f"{healthkit['records']:,}"),
        ("wall, whole process (s)", f"{careloop['wall']:.2f}", f"{healthkit['wall']:.2f}"),
        (
            "records/s, whole process wall",
            f"{careloop['records'] / careloop['wall']:,.0f}",
            f"{healthkit['records'] / healthkit['wall']:,.0f}",
        ),
        ("CPU, user + sys (s)", f"{careloop['cpu']:.2f}", f"{healthkit['cpu']:.2f}"),
        (
            "records/s per CPU second",
            f"{careloop['records'] / careloop['cpu']:,.0f}",
            f"{healthkit['records'] / healthkit['cpu']:,.0f}",
        ),
        ("peak RSS (MiB)", f"{careloop['peak_rss_mib']:.0f}", f"{healthkit['peak_rss_mib']:.0f}"),
    ]
    for label, ours, theirs in rows:
        print(f"{label:34} {ours:>16} {theirs:>20}")
    print(
        f"\nCareloop parse only (inside the process, after imports): {careloop['inner']['seconds']:.2f} s ="
        f" {careloop['records'] / careloop['inner']['seconds']:,.0f} records/s,"
        f" CPU {careloop['inner']['cpu_seconds']:.2f} s"
    )
    print(f"healthkit-to-sqlite tables: {json.dumps(healthkit['tables'])}; db {healthkit['db_mib']:.0f} MiB")


def throughput_module():  # a module loaded by path, so no return annotation
    spec = importlib.util.spec_from_file_location("apple_health_throughput", THROUGHPUT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup_venv() -> None:
    if HEALTHKIT_CLI.exists():
        return
    subprocess.run(["python3.11", "-m", "venv", str(HEALTHKIT_VENV)], check=True)
    subprocess.run([str(HEALTHKIT_VENV / "bin" / "pip"), "install", "--quiet", "healthkit-to-sqlite"], check=True)


def measured(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run `command` under a fresh measuring process so RUSAGE_CHILDREN covers that command alone."""
    load = os.getloadavg()
    print(f"load average before {Path(command[0]).name}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    wrapper = [sys.executable, __file__, "--measure", *command]
    completed = subprocess.run(wrapper, capture_output=True, text=True, env=env)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr}")
    result = json.loads(completed.stdout.splitlines()[-1])
    result["load"] = load[0]
    return result


def measure(command: list[str]) -> None:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write(completed.stderr)
    if completed.returncode != 0:
        sys.exit(completed.returncode)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": usage.ru_utime + usage.ru_stime,
                "peak_rss_mib": usage.ru_maxrss / 1024,
                "stdout": completed.stdout,
            }
        )
    )


def run_careloop(export: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = measured([sys.executable, str(THROUGHPUT), "--parse", str(export)], env=env)
    result["inner"] = json.loads(result["stdout"])
    result["records"] = result["inner"]["records"]
    return result


def run_healthkit(export: Path) -> dict:
    database = export.with_name(f"{export.stem}_healthkit.db")
    database.unlink(missing_ok=True)
    result = measured([str(HEALTHKIT_CLI), "--silent", str(export), str(database)])
    with sqlite3.connect(database) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608
    result["tables"] = tables
    result["records"] = sum(count for name, count in tables.items() if name.startswith("r") or name == "workouts")
    result["db_mib"] = database.stat().st_size / 2**20
    return result


if __name__ == "__main__":
    main()
