"""How the site scales: synthetic schema-v2 ``site_data`` (N models × every suite) through ``build_site``.

    python benchmarks/site_scale.py --models 50 --scale 1.0 --samples 100 --trials 10 --out /tmp/podium-scale

Prints: data generation time and size; build wall time and peak memory (the build runs in a child process);
site size and file count; home page weight (gzip, everything the first view loads except the one-time Vega
bundles); the largest JSON file; the search index size; the rebuild time after adding one model. Goals at 50
models (issue 13): build < 60 s, site < 500 MB, home < 200 KB, no JSON > 1 MB, search index < 2 MB.
``--scale`` < 1 shrinks every suite (state the size you measured at when quoting the figures).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.synth_site_data import add_model, generate  # noqa: E402

BUILD = """
import json, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from tools.synth_site_data import all_texts
from generator.site.build import build_site
texts = all_texts({scale!r})
t = time.perf_counter()
r = build_site(Path({data!r}), Path({site!r}), mkdocs_yml=Path({repo!r}) / "mkdocs.yml", work=Path({work!r}), texts=texts)
print(json.dumps(r.phases))
print(time.perf_counter() - t)
"""


def tree(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(data: Path, site: Path, work: Path, scale: float) -> tuple[float, float, float]:
    """(wall seconds of the whole child, seconds inside build_site, peak RSS MB of the largest process).

    Also prints the CPU seconds of the build and its workers: on a shared machine wall time grows with the
    load, CPU time much less (load average when it started is printed too)."""
    code = BUILD.format(repo=str(REPO), scale=scale, data=str(data), site=str(site), work=str(work))
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = ru0.ru_maxrss
    load = os.getloadavg()[0]
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"build failed:\n{out.stderr[-3000:]}")
    wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = ru1.ru_maxrss
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    lines = out.stdout.strip().splitlines()
    inner = float(lines[-1])
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in json.loads(lines[-2]).items())
    print(f"  build phases: {phases}; CPU {cpu:.1f} s (build + workers) on {os.cpu_count()} cores, "
          f"load average {load:.1f} at start")
    return wall, inner, max(peak, before) / 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def home_weight(site: Path) -> tuple[int, list[tuple[str, int]]]:
    """gzip bytes of index.html and every local script, stylesheet and chart it loads, without the Vega bundles."""
    html = (site / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    refs += re.findall(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', html)
    refs += re.findall(r'data-src="([^"]+)"', html)
    parts = [("index.html", gz(html.encode()))]
    for ref in sorted(set(refs)):
        if ref.startswith(("http:", "https:", "//")) or re.search(r"vendor/vega", ref):
            continue
        path = site / ref.split("?")[0].lstrip("./")
        if path.is_file():
            parts.append((ref, gz(path.read_bytes())))
    return sum(n for _, n in parts), parts


def compare_weight(site: Path) -> int:
    """gzip bytes the compare page fetches for one pair: the site index, each suite's index, two status files."""
    gal = site / "gallery" / "data"
    total = gz((gal / "index.json").read_bytes())
    for sdir in sorted(p for p in gal.iterdir() if p.is_dir()):
        total += gz((sdir / "index.json").read_bytes())
        total += sum(gz(p.read_bytes()) for p in sorted((sdir / "m").glob("*.json"))[:2])
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("/tmp/podium-scale"))
    ap.add_argument("--keep", action="store_true", help="keep the generated data and site")
    a = ap.parse_args()
    data, site, work = a.out / "site_data", a.out / "site", a.out / "work"
    t = time.perf_counter()
    generate(data, models=a.models, scale=a.scale, samples=a.samples, trials=a.trials, extras=False)
    gen = time.perf_counter() - t
    dsize, dfiles = tree(data)
    runs = len(list(data.glob("runs/*/*/*/run.json")))
    print(f"size: {a.models} models, scale {a.scale} of every suite, HumanEval × {a.samples} samples, "
          f"scenarios × {a.trials} trials: {runs} runs, site_data {dsize / 1e6:.1f} MB in {dfiles} files "
          f"(generated in {gen:.0f} s)")
    wall, inner, peak = build(data, site, work, a.scale)
    size, files = tree(site)
    home, parts = home_weight(site)
    jsons = sorted(((p.stat().st_size, p) for p in site.rglob("*.json")), reverse=True)
    search = site / "search" / "search_index.json"
    print(f"build: {wall:.1f} s wall ({inner:.1f} s in build_site), peak memory {peak:.0f} MB")
    print(f"site: {size / 1e6:.1f} MB in {files} files (gallery data {tree(site / 'gallery' / 'data')[0] / 1e6:.1f} MB)")
    print(f"home page: {home / 1e3:.1f} KB gzip (without the one-time Vega bundles): "
          + ", ".join(f"{n} {b / 1e3:.1f}" for n, b in sorted(parts, key=lambda x: -x[1])[:5]))
    if jsons:
        print(f"largest JSON: {jsons[0][0] / 1e3:.1f} KB ({jsons[0][1].relative_to(site)})")
    print(f"search index: {search.stat().st_size / 1e6:.2f} MB" if search.exists() else "search index: none")
    print(f"compare page data for one pair: {compare_weight(site) / 1e3:.1f} KB gzip")
    add_model(data, a.models, scale=a.scale, samples=a.samples, trials=a.trials)
    wall2, inner2, _ = build(data, site, work, a.scale)
    print(f"rebuild after adding one model: {wall2:.1f} s wall ({inner2:.1f} s in build_site; a full rebuild)")
    if not a.keep:
        shutil.rmtree(a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
