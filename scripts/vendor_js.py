"""Vendor Careloop's browser libraries from npm into static/vendor, or check them for drift.

Careloop loads no script from a CDN: every library is pinned in frontend/package.json and
frontend/package-lock.json, installed with `npm ci` (the npm registry is the only network
used), and its exact built files are copied into static/vendor together with its licence
texts. static/vendor/VENDORED.json records each package's version, SPDX licence, npm
integrity and the sha256 of every file, so `--check` can prove offline, in CI, that the
committed files are exactly what the lock file says.

    .venv/bin/python scripts/vendor_js.py            # npm ci, copy, write VENDORED.json
    .venv/bin/python scripts/vendor_js.py --check    # verify static/vendor, no network
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FRONTEND = REPO / "frontend"
NODE_MODULES = FRONTEND / "node_modules"
LOCK_FILE = FRONTEND / "package-lock.json"
VENDOR = REPO / "static" / "vendor"
MANIFEST_NAME = "VENDORED.json"

# npm's licence field is not always an SPDX identifier.
SPDX_ALIASES = {"BSD-0-Clause": "0BSD"}


@dataclass(frozen=True)
class VendoredPackage:
    """One npm package and the files of it that Careloop serves."""

    name: str
    directory: str  # under static/vendor
    purpose: str
    files: dict[str, str]  # path under node_modules -> file name in `directory`
    bundled: tuple[str, ...] = ()  # npm packages compiled into `files`; their licences are in `files`


PACKAGES: tuple[VendoredPackage, ...] = (
    VendoredPackage(
        name="htmx.org",
        directory="htmx.org",
        purpose="HTML-over-the-wire; pages must set htmx-config includeIndicatorStyles:false (strict CSP)",
        files={"htmx.org/dist/htmx.min.js": "htmx.min.js", "htmx.org/LICENSE": "LICENSE"},
    ),
    VendoredPackage(
        name="chart.js",
        directory="chart.js",
        purpose="score charts (UMD build, global Chart); no date adapter: labels are server-formatted days",
        files={
            "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
            # The .min.js names its source map; Django's manifest storage fails if it is missing.
            "chart.js/dist/chart.umd.min.js.map": "chart.umd.min.js.map",
            "chart.js/LICENSE.md": "LICENSE.md",
            "@kurkle/color/LICENSE.md": "LICENSE-kurkle-color.md",
        },
        bundled=("@kurkle/color",),
    ),
    VendoredPackage(
        name="uplot",
        directory="uplot",
        purpose="dense sensor time series (IIFE build, global uPlot) and its stylesheet",
        files={
            "uplot/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
            "uplot/dist/uPlot.min.css": "uPlot.min.css",
            "uplot/LICENSE": "LICENSE",
        },
    ),
    VendoredPackage(
        name="idb",
        directory="idb",
        purpose="IndexedDB for the offline answer queue (UMD build, global idb; importScripts-able)",
        files={"idb/build/umd.js": "umd.js", "idb/LICENSE": "LICENSE"},
    ),
    VendoredPackage(
        name="axe-core",
        directory="test/axe-core",
        purpose="accessibility checks in browser tests only; no page may reference it",
        files={
            "axe-core/axe.min.js": "axe.min.js",
            "axe-core/LICENSE": "LICENSE",
            "axe-core/LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt",
        },
    ),
)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def locked_packages() -> dict[str, Any]:
    """The lock file's entries, keyed by npm package name."""
    packages: dict[str, Any] = read_json(LOCK_FILE)["packages"]
    prefix = "node_modules/"
    return {key.removeprefix(prefix): entry for key, entry in packages.items() if key.startswith(prefix)}


def run_npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor_js: npm is not on PATH (Node 20+ is needed to vendor, not to --check)")
    # Fixed argument list, no shell; --ignore-scripts because nothing vendored needs an install step.
    subprocess.run(  # noqa: S603
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=FRONTEND,
        check=True,
    )


def installed_metadata(name: str, lock: dict[str, Any]) -> dict[str, str]:
    """Version, SPDX licence and integrity of an installed package, cross-checked with the lock file."""
    meta = read_json(NODE_MODULES / name / "package.json")
    locked = lock[name]
    if meta["version"] != locked["version"]:
        sys.exit(f"vendor_js: node_modules/{name} is {meta['version']} but the lock says {locked['version']}")
    licence = str(meta["license"])
    return {
        "name": name,
        "version": str(meta["version"]),
        "license": SPDX_ALIASES.get(licence, licence),
        "integrity": str(locked["integrity"]),
    }


def copy_package(package: VendoredPackage, vendor_dir: Path) -> dict[str, dict[str, str]]:
    """Copy one package's files; return manifest rows keyed by path under static/vendor."""
    target = vendor_dir / package.directory
    target.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, str]] = {}
    for source, file_name in package.files.items():
        destination = target / file_name
        shutil.copyfile(NODE_MODULES / source, destination)
        rows[f"{package.directory}/{file_name}"] = {"source": source, "sha256": sha256_of(destination)}
    return rows


def package_entry(package: VendoredPackage, lock: dict[str, Any], vendor_dir: Path) -> dict[str, Any]:
    entry: dict[str, Any] = installed_metadata(package.name, lock)
    entry["directory"] = package.directory
    entry["purpose"] = package.purpose
    entry["bundled"] = [installed_metadata(name, lock) for name in package.bundled]
    entry["files"] = copy_package(package, vendor_dir)
    return entry


def vendor(vendor_dir: Path) -> None:
    """Rebuild vendor_dir from node_modules and write its manifest."""
    lock = locked_packages()
    if vendor_dir.exists():
        shutil.rmtree(vendor_dir)
    vendor_dir.mkdir(parents=True)
    manifest = {
        "note": "Written by scripts/vendor_js.py from frontend/package-lock.json. Do not edit; "
        "re-run the script. `scripts/vendor_js.py --check` verifies these hashes.",
        "packages": [package_entry(package, lock, vendor_dir) for package in PACKAGES],
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (vendor_dir / MANIFEST_NAME).write_text(text, encoding="utf-8")


def expected_hashes(manifest: dict[str, Any]) -> dict[str, str]:
    return {path: row["sha256"] for package in manifest["packages"] for path, row in package["files"].items()}


def file_problems(vendor_dir: Path, expected: dict[str, str]) -> list[str]:
    """Files that are missing, changed, or present without being listed."""
    actual = {
        path.relative_to(vendor_dir).as_posix(): path
        for path in vendor_dir.rglob("*")
        if path.is_file() and path.name != MANIFEST_NAME
    }
    problems = [f"missing: {name}" for name in sorted(expected.keys() - actual.keys())]
    problems += [f"not in {MANIFEST_NAME}: {name}" for name in sorted(actual.keys() - expected.keys())]
    problems += [
        f"changed (sha256 differs): {name}"
        for name in sorted(expected.keys() & actual.keys())
        if sha256_of(actual[name]) != expected[name]
    ]
    return problems


def version_problems(manifest: dict[str, Any]) -> list[str]:
    """Packages whose vendored version is not the one frontend/package-lock.json pins."""
    lock = locked_packages()
    return [
        f"stale: {package['name']} vendored {package['version']}, lock pins "
        f"{lock.get(package['name'], {}).get('version')} (re-run scripts/vendor_js.py)"
        for package in manifest["packages"]
        if lock.get(package["name"], {}).get("version") != package["version"]
    ]


def declared_problems(manifest: dict[str, Any]) -> list[str]:
    """Files PACKAGES declares that the manifest lacks, or the reverse: the script changed, re-run it."""
    declared = {f"{p.directory}/{name}" for p in PACKAGES for name in p.files.values()}
    listed = set(expected_hashes(manifest))
    return [f"declared in vendor_js.py, not vendored: {path}" for path in sorted(declared - listed)] + [
        f"vendored, no longer declared in vendor_js.py: {path}" for path in sorted(listed - declared)
    ]


def check(vendor_dir: Path) -> list[str]:
    """Everything that differs between vendor_dir, its manifest, this script and the lock; empty when clean."""
    manifest_path = vendor_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        return [f"missing: {MANIFEST_NAME} (run scripts/vendor_js.py)"]
    manifest = read_json(manifest_path)
    return (
        declared_problems(manifest) + version_problems(manifest) + file_problems(vendor_dir, expected_hashes(manifest))
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="verify vendored files against VENDORED.json")
    parser.add_argument("--vendor-dir", type=Path, default=VENDOR, help="default: static/vendor")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not args.check:
        run_npm_ci()
        vendor(args.vendor_dir)
    problems = check(args.vendor_dir)
    for problem in problems:
        print(f"vendor drift: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.vendor_dir}: {len(PACKAGES)} packages match {MANIFEST_NAME}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
