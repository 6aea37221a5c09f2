"""Benchmark: streaming an Apple Health export.zip. Generates synthetic exports of about 250,000, 500,000 and
1,000,000 records (tests/pipeline/apple_synthetic.py), parses each with careloop.pipeline.apple_health in a
fresh process, and prints records per second (wall and CPU), peak memory, how many chunks the fast scanner
and expat read, the export's size (zip and XML), and the 1-minute load average just before the run (on a shared
machine other work inflates wall time; compare CPU seconds). Peak memory should not grow with the file.

    .venv/bin/python bench/apple_health_throughput.py [--records 250000 500000 1000000] [--expat]

`--expat` also times the expat-only reader (the reference path) on the largest export.
"""

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--expat", action="store_true", help="also time the expat-only reader on the largest")
    parser.add_argument("--parse", help="internal: parse this export and print JSON")
    parser.add_argument("--expat-only", action="store_true", help="internal: parse with expat only")
    args = parser.parse_args()
    if args.parse:
        parse(Path(args.parse), fast_scan=not args.expat_only)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores; other work inflates wall time)")
    for records in args.records:
        report(generate(records), fast_scan=True)
    if args.expat:
        report(generate(max(args.records)), fast_scan=False)


def report(export: Path, fast_scan: bool) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, __file__, "--parse", str(export), *([] if fast_scan else ["--expat-only"])]
    load = os.getloadavg()[0]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout)
    with zipfile.ZipFile(export) as archive:
        xml_bytes = max(member.file_size for member in archive.infolist())
    records, seconds, cpu = result["records"], result["seconds"], result["cpu_seconds"]
    label = "fast scanner + expat fallback" if fast_scan else "expat only"
    print(
        f"{label}: {records:,} records (zip {export.stat().st_size / 2**20:.0f} MiB, XML {xml_bytes / 2**20:.0f} MiB)"
        f" in {seconds:.2f} s = {records / seconds:,.0f} records/s wall, CPU {cpu:.2f} s;"
        f" peak RSS {result['peak_rss_mib']:.0f} MiB (after imports {result['baseline_rss_mib']:.0f} MiB);"
        f" chunks scanned {result['scanned_chunks']}, by expat {result['expat_chunks']}; load {load:.2f}"
    )


def generate(records: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.pipeline import apple_synthetic

    days = max(1, round(records / apple_synthetic.records_per_day()))
    path = ROOT / "var" / "bench" / f"apple_health_{days}d.zip"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        first = dt.date(2016, 1, 1)
        apple_synthetic.write_export(path, [first + dt.timedelta(days=offset) for offset in range(days)])
    return path


def parse(export: Path, fast_scan: bool) -> None:
    from careloop.pipeline import apple_health

    options = apple_health.AppleHealthReadOptions(fast_scan=fast_scan)
    read_report = apple_health.ReadReport()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    records = sum(table.num_rows for _, table in apple_health.iter_export(export, "bench", options, read_report))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "records": records,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mib": peak,
                "baseline_rss_mib": baseline,
                "scanned_chunks": read_report.scanned_chunks,
                "expat_chunks": read_report.expat_chunks,
            }
        )
    )


if __name__ == "__main__":
    main()
