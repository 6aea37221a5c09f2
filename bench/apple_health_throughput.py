"""Benchmark: streaming an Apple Health export.zip. Generates a synthetic export of about 1,000,000 records
(tests/pipeline/apple_synthetic.py), parses it with careloop.pipeline.apple_health in a fresh process,
and prints records per second, peak memory, and the export's size (zip and XML).

    .venv/bin/python bench/apple_health_throughput.py [--records 1000000]
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
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--parse", help="internal: parse this export and print JSON")
    args = parser.parse_args()
    if args.parse:
        parse(Path(args.parse))
        return
    export = generate(args.records)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, __file__, "--parse", str(export)]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout)
    with zipfile.ZipFile(export) as archive:
        xml_bytes = max(member.file_size for member in archive.infolist())
    sizes = f"zip {export.stat().st_size / 2**20:.0f} MiB, XML {xml_bytes / 2**20:.0f} MiB"
    print(f"export: {result['records']:,} records, {sizes}")
    print(f"parse: {result['seconds']:.2f} s = {result['records'] / result['seconds']:,.0f} records/s")
    print(f"peak RSS {result['peak_rss_mib']:.0f} MiB (baseline after imports {result['baseline_rss_mib']:.0f} MiB)")


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


def parse(export: Path) -> None:
    from careloop.pipeline import apple_health

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    records = sum(table.num_rows for _, table in apple_health.iter_export(export, "bench"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "peak_rss_mib": peak, "baseline_rss_mib": baseline}))


if __name__ == "__main__":
    main()
