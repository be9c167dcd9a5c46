#!/usr/bin/env python3
"""Refreshes the vendored front-end files under civicdesk/static/vendor/ from the npm registry.

Usage: scripts/vendor-refresh.py            fetch the pinned versions and rewrite the manifest
       scripts/vendor-refresh.py --check    verify the files on disk against the manifest

Each package is fetched with `npm pack name@version` (no node_modules, no build step), only the
files the pages load are copied, and vendor/MANIFEST.json records version and SHA-256 of each
file so a review sees exactly what changed. To upgrade, change a version below and run again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "civicdesk" / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

# package -> (version, {path in the npm tarball: path under vendor/<package>/})
PACKAGES: dict[str, tuple[str, dict[str, str]]] = {
    "htmx.org": ("2.0.4", {"dist/htmx.min.js": "htmx.min.js"}),
    "bootstrap": (
        "5.3.3",
        {
            "dist/css/bootstrap.min.css": "bootstrap.min.css",
            "dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
        },
    ),
    "echarts": ("5.6.0", {"dist/echarts.min.js": "echarts.min.js"}),
    "leaflet": (
        "1.9.4",
        {
            "dist/leaflet.js": "leaflet.js",
            "dist/leaflet.css": "leaflet.css",
            "dist/images/marker-icon.png": "images/marker-icon.png",
            "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
            "dist/images/marker-shadow.png": "images/marker-shadow.png",
            "dist/images/layers.png": "images/layers.png",
        },
    ),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(name: str, version: str, files: dict[str, str], workdir: Path) -> dict[str, str]:
    subprocess.run(
        ["npm", "pack", "--silent", f"{name}@{version}"], cwd=workdir, check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = next(workdir.glob(f"{name.replace('/', '-')}-{version}.tgz"))
    target = VENDOR / name
    shutil.rmtree(target, ignore_errors=True)
    sums = {}
    with tarfile.open(tarball) as archive:
        for source, dest in files.items():
            member = archive.extractfile(f"package/{source}")
            if member is None:
                raise SystemExit(f"{name}@{version}: {source} is not in the package")
            out = target / dest
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(member.read())
            sums[f"{name}/{dest}"] = sha256(out)
    return sums


def refresh() -> None:
    manifest: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, files) in PACKAGES.items():
            manifest[name] = {"version": version, "files": fetch(name, version, files, Path(tmp))}
            print(f"{name}@{version}: {len(files)} files")
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def check() -> int:
    manifest = json.loads(MANIFEST.read_text())
    bad = [
        path
        for package in manifest.values()
        for path, digest in package["files"].items()
        if not (VENDOR / path).exists() or sha256(VENDOR / path) != digest
    ]
    for path in bad:
        print(f"vendor file missing or changed: {path}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv else refresh())
