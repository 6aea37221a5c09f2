"""Benchmark: Careloop's GPS mobility against Beiwe Forest's jasmine on Forest's own simulator output.

Creates the Forest venv (bench/setup_forest_venv.sh) and the simulated study (shared/tools/simulate_gps.py,
Forest's bonsai with offline stand-ins for its web look-ups, which also records each day's true distance
and time at home), runs both tools one process per run, and prints seconds per participant-day, the
speed ratio, peak memory, errors against the truth, and Careloop's throughput on 1,000+ participant-days.

    .venv/bin/python bench/gps_vs_forest.py [--participants 3] [--days 14]
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
FOREST_PYTHON = ROOT / "var" / "forest-venv" / "bin" / "python"
SIMULATOR = ROOT.parent / "shared" / "tools" / "simulate_gps.py"
TRUTH_LINE = re.compile(r"User_(\d+)\s+distance\(km\): \[(.*?)\]\s+hometime\(hr\): \[(.*?)\]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=3)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--start", default="2024-01-08")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--throughput-days", type=int, default=1000)
    args = parser.parse_args()
    subprocess.run(["bash", str(ROOT / "bench" / "setup_forest_venv.sh")], check=True)
    study = simulate(args)
    ids = [f"user_{n}" for n in range(1, args.participants + 1)]
    truth = read_truth(study, args.start)
    forest = [forest_run(study, pid, args) for pid in ids]
    careloop = careloop_run(study, ids, circuity=None)
    straight = careloop_run(study, ids, circuity=1.0)
    throughput = careloop_throughput(study, ids, args.throughput_days)
    report(args, truth, forest, careloop, straight, throughput)


def simulate(args: argparse.Namespace) -> Path:
    study = ROOT / "var" / "bench" / f"sim_{args.participants}x{args.days}_seed{args.seed}"
    if not (study.parent / f"{study.name}_gen_meta.json").exists():
        command = [str(FOREST_PYTHON), str(SIMULATOR), "--out", str(study), "--n-persons", str(args.participants)]
        command += ["--days", str(args.days), "--start", args.start, "--seed", str(args.seed)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return study


def read_truth(study: Path, start: str) -> dict[tuple[str, str], tuple[float, float]]:
    meta = json.loads((study.parent / f"{study.name}_gen_meta.json").read_text())
    first = pl.Series([start]).str.to_date()[0]
    truth = {}
    for line in meta["ground_truth"]:
        match = TRUTH_LINE.search(line)
        assert match, line
        distances = [float(x) for x in match.group(2).split(",")]
        homes = [float(x) for x in match.group(3).split(",")]
        for offset, (distance, home) in enumerate(zip(distances, homes, strict=True)):
            day = (first + datetime.timedelta(days=offset)).isoformat()
            truth[(f"user_{match.group(1)}", day)] = (distance, home)
    return truth


def forest_run(study: Path, participant: str, args: argparse.Namespace) -> dict:
    command = [str(FOREST_PYTHON), str(ROOT / "bench" / "forest_jasmine_runner.py"), "--study", str(study)]
    command += ["--participant", participant, "--start", args.start, "--days", str(args.days)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    run = json.loads(result.stdout.strip().splitlines()[-1])
    for day in run["days"]:
        day["participant"] = participant
    return run


def careloop_run(study: Path, ids: list[str], circuity: float | None) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "careloop_gps_runner.py"), "--study", str(study)]
    for pid in ids:
        command += ["--participant", pid]
    if circuity is not None:
        command += ["--circuity", str(circuity)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def careloop_throughput(study: Path, ids: list[str], target_days: int) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "careloop_gps_throughput.py"), "--study", str(study)]
    command += ["--target-days", str(target_days), *[arg for pid in ids for arg in ("--participant", pid)]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def errors(days: list[dict], truth: dict, field: str, index: int) -> dict:
    pairs = [
        (d[field], truth[(d["participant"], d["date"])][index]) for d in days if (d["participant"], d["date"]) in truth
    ]
    found = [(got, want) for got, want in pairs if got is not None]
    diffs = [got - want for got, want in found]
    return {
        "mae": statistics.mean(abs(x) for x in diffs),
        "bias": statistics.mean(diffs),
        "mape_pct": 100 * statistics.mean(abs(g - w) / w for g, w in found if w > 0),
        "days": len(found),
        "missing": len(pairs) - len(found),
    }


def report(args, truth, forest, careloop, straight, throughput) -> None:
    participant_days = args.participants * args.days
    forest_s = sum(run["wall_s"] for run in forest) / participant_days
    forest_days = [day for run in forest for day in run["days"]]
    figures = {
        "participant_days": participant_days,
        "forest_s_per_participant_day": forest_s,
        "forest_peak_rss_mib": max(run["peak_rss_mib"] for run in forest),
        "forest_import_s": statistics.median(run["import_s"] for run in forest),
        "careloop_csv_s_per_participant_day": (careloop["parse_s"] + careloop["features_s"]) / participant_days,
        "careloop_features_s_per_participant_day": careloop["features_s"] / participant_days,
        "careloop_parquet_s_per_participant_day": careloop["parquet_and_features_s"] / participant_days,
        "careloop_peak_rss_mib": careloop["peak_rss_mib"],
        "forest_distance": errors(forest_days, truth, "distance_km", 0),
        "forest_home": errors(forest_days, truth, "home_h", 1),
        "careloop_distance": errors(careloop["days"], truth, "distance_km", 0),
        "careloop_home": errors(careloop["days"], truth, "home_h", 1),
        "careloop_no_circuity_distance": errors(straight["days"], truth, "distance_km", 0),
        "throughput": throughput,
    }
    print_figures(figures)
    out = ROOT / "var" / "bench" / "gps_vs_forest.json"
    out.write_text(json.dumps(figures, indent=2))
    print(f"\nfull figures: {out.relative_to(ROOT)}")


def print_figures(f: dict) -> None:
    forest_s = f["forest_s_per_participant_day"]
    print(f"participant-days: {f['participant_days']} (Forest simulator, 1 Hz, 3 min on / 12 min off)")
    print(
        f"Forest jasmine        {forest_s * 1000:9.1f} ms/participant-day   peak RSS {f['forest_peak_rss_mib']:.0f} MiB"
    )
    for label, key in (
        ("Careloop CSV->features", "careloop_csv_s_per_participant_day"),
        ("Careloop Parquet->feat", "careloop_parquet_s_per_participant_day"),
        ("Careloop features only", "careloop_features_s_per_participant_day"),
    ):
        print(f"{label}  {f[key] * 1000:9.1f} ms/participant-day   speed-up x{forest_s / f[key]:.0f}")
    print(f"Careloop peak RSS {f['careloop_peak_rss_mib']:.0f} MiB (all participants in one process)")
    for label, key in (
        ("Forest distance km", "forest_distance"),
        ("Careloop distance km", "careloop_distance"),
        ("Careloop distance km, circuity 1.0", "careloop_no_circuity_distance"),
        ("Forest home time h", "forest_home"),
        ("Careloop home time h", "careloop_home"),
    ):
        e = f[key]
        counts = f"days {e['days']} (missing {e['missing']})"
        print(f"{label:36s} MAE {e['mae']:.3f}  bias {e['bias']:+.3f}  MAPE {e['mape_pct']:.1f}%  {counts}")
    t = f["throughput"]
    print(
        f"Careloop throughput: {t['participant_days']} participant-days in {t['seconds']:.2f} s"
        f" = {t['participant_days'] / t['seconds']:.0f} participant-days/s, peak RSS {t['peak_rss_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"benchmark wall time {time.perf_counter() - started:.0f} s")
