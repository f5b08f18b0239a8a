"""How the site scales: synthetic schema-v3 ``site_data`` (N models × every suite) through ``build_site``.

    python benchmarks/site_scale.py --models 50 --scale 1.0 --samples 100 --trials 10 --out /tmp/podium-scale

Prints: data generation time and size; build wall time and peak memory (the build runs in a child process);
site size and file count; home page weight (gzip, everything a first view loads: page, scripts, styles, search
index — Vega only where a chart is); the largest JSON file; the search index size; the rebuild time after adding one model. Goals at 50
models (issues 13, 23): build < 60 s, site < 500 MB, home first view < 400 KB gzip, no JSON > 1 MB, search index
< 2 MB.
``--scale`` < 1 shrinks every suite (state the size you measured at when quoting the figures).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.synth_site_data import add_model, generate  # noqa: E402

BUILD = """
import cProfile, json, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from tools.synth_site_data import all_texts
from generator.site.build import build_site
texts = all_texts({scale!r})
t = time.perf_counter()
prof = cProfile.Profile() if {profile!r} else None
if prof: prof.enable()
r = build_site(Path({data!r}), Path({site!r}), mkdocs_yml=Path({repo!r}) / "mkdocs.yml", work=Path({work!r}), texts=texts)
if prof: prof.disable(); prof.dump_stats({profile!r})
print(json.dumps(r.phases))
print(time.perf_counter() - t)
"""


def tree(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


@dataclass
class Built:
    wall: float  # seconds of the whole child (imports, texts, build)
    inner: float  # seconds inside build_site
    cpu: float  # CPU seconds of the child and its workers
    peak_mb: float  # peak RSS of the largest process so far
    load: float  # load average (1 min) when it started


def build(data: Path, site: Path, work: Path, scale: float, repo: Path = REPO, profile: str = "") -> Built:
    """Build in a child process (``repo``: the checkout whose code builds, for before/after figures).

    Also prints the CPU seconds of the build and its workers: on a shared machine wall time grows with the
    load, CPU time much less (load average when it started is printed too)."""
    code = BUILD.format(repo=str(repo), scale=scale, data=str(data), site=str(site), work=str(work), profile=profile)
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

    return Built(wall, inner, cpu, max(peak, before) / 1024, load)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def home_weight(site: Path) -> tuple[int, list[tuple[str, int]]]:
    """gzip bytes of a first view of index.html: the page, every local script, stylesheet and chart it loads, and the
    search worker and index Material fetches at once (Vega is loaded only by pages with a chart; counted if linked)."""
    html = (site / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    refs += re.findall(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', html)
    refs += re.findall(r'data-src="([^"]+)"', html)
    parts = [("index.html", gz(html.encode()))]
    refs += [p.relative_to(site).as_posix() for p in site.glob("assets/javascripts/workers/search.*.min.js")]
    refs += ["search/search_index.json"]
    for ref in sorted(set(refs)):
        if ref.startswith(("http:", "https:", "//")):
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


def digest_tree(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file() and p.name != "sitemap.xml.gz"}


def report(site: Path, b: Built) -> None:
    size, files = tree(site)
    home, parts = home_weight(site)
    jsons = sorted(((p.stat().st_size, p) for p in site.rglob("*.json")), reverse=True)
    search = site / "search" / "search_index.json"
    print(f"build: {b.wall:.1f} s wall ({b.inner:.1f} s in build_site), {b.cpu:.1f} s CPU, "
          f"peak memory {b.peak_mb:.0f} MB, load average {b.load:.1f} at start")
    print(f"site: {size / 1e6:.1f} MB in {files} files (gallery data {tree(site / 'gallery' / 'data')[0] / 1e6:.1f} MB)")
    print(f"home page: {home / 1e3:.1f} KB gzip, first view (page, scripts, styles, search index): "
          + ", ".join(f"{n} {b / 1e3:.1f}" for n, b in sorted(parts, key=lambda x: -x[1])[:5]))
    if jsons:
        print(f"largest JSON: {jsons[0][0] / 1e3:.1f} KB ({jsons[0][1].relative_to(site)})")
    print(f"search index: {search.stat().st_size / 1e6:.2f} MB" if search.exists() else "search index: none")
    print(f"compare page data for one pair: {compare_weight(site) / 1e3:.1f} KB gzip")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("/tmp/podium-scale"))
    ap.add_argument("--data", type=Path, help="reuse this generated site_data (copied; must match the size options)")
    ap.add_argument("--compare-with", type=Path, metavar="CHECKOUT",
                    help="also build with this checkout's code (e.g. `git archive main`), side by side, same data")
    ap.add_argument("--profile", type=Path, metavar="DIR", help="write cProfile stats of each build here")
    ap.add_argument("--keep", action="store_true", help="keep the generated data and site")
    a = ap.parse_args()
    codes = {"this": REPO} | ({"other": a.compare_with.resolve()} if a.compare_with else {})
    first = a.out / "this" / "site_data"
    t = time.perf_counter()
    if a.data:
        shutil.copytree(a.data, first, dirs_exist_ok=True)
    else:
        generate(first, models=a.models, scale=a.scale, samples=a.samples, trials=a.trials, extras=False)
    gen = time.perf_counter() - t
    for label in codes:
        if label != "this":
            shutil.copytree(first, a.out / label / "site_data", dirs_exist_ok=True)
    dsize, dfiles = tree(first)
    runs = len(list(first.glob("runs/*/*/*/run.json")))
    print(f"size: {a.models} models, scale {a.scale} of every suite, HumanEval × {a.samples} samples, "
          f"scenarios × {a.trials} trials: {runs} runs, site_data {dsize / 1e6:.1f} MB in {dfiles} files "
          f"(generated or copied in {gen:.0f} s)")

    def run(label: str, step: str) -> Built:
        d = a.out / label
        prof = str(a.profile / f"{label}-{step}.prof") if a.profile else ""
        if a.profile:
            a.profile.mkdir(parents=True, exist_ok=True)
        return build(d / "site_data", d / "site", d / "work", a.scale, codes[label], prof)

    for label in codes:
        print(f"[{label}: {codes[label]}] full build")
        report(a.out / label / "site", run(label, "full"))
    before = digest_tree(a.out / "this" / "site")
    print("[this] rebuild, nothing changed")
    same = run("this", "same")
    diff = [k for k, v in digest_tree(a.out / "this" / "site").items() if before.get(k) != v]
    print(f"  {same.wall:.1f} s wall, {same.cpu:.1f} s CPU; byte-identical: {not diff} {diff[:5]}")
    for label in codes:
        add_model(a.out / label / "site_data", a.models, scale=a.scale, samples=a.samples, trials=a.trials)
    for label in codes:
        b = run(label, "add-one")
        print(f"[{label}] rebuild after adding one model: {b.wall:.1f} s wall ({b.inner:.1f} s in build_site), "
              f"{b.cpu:.1f} s CPU, load average {b.load:.1f} at start")
    if not a.keep:
        shutil.rmtree(a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
