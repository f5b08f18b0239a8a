"""How the site scales, this checkout against an earlier commit, side by side on the same realistic data.

    python benchmarks/site_scale.py                      # 50 models, full size, against HEAD~1
    python benchmarks/site_scale.py --models 5 --scale 0.05 --base-rev 357f592   # a quick look

Generates once: N synthetic models × every suite at ``--scale`` of full size (HumanEval × ``--samples``, scenarios
with greedy + ``--trials`` sampled trials; output lengths drawn from the committed runs, tools/synth_lengths.py).
Then, for the earlier commit (``git archive`` of ``--base-rev`` into the output folder, the vendored JS linked in)
and for this checkout, back to back on the same data, measures:

- full build: wall and CPU seconds (build_site in a child process, cold work and cache folders);
- rebuild after adding one model, in the same data folder (warm work and cache folders);
- rebuild after adding one model to a *copied* data folder (another path, as a CI checkout is) with the work and
  cache folders as the full build left them (as CI restores them);
- home page, first view, gzip: index.html and what it fetches on load (scripts, stylesheets, preloads, images, the
  chart specs of ``data-src``), parsed from the built HTML; Vega excluded (loaded only for a chart); Material's search
  worker and index counted unless the page holds them until the search box is used (the search gate);
- largest JSON file a page fetches (under the built site, ``downloads/`` apart: those are saved, not fetched);
- one-model pull request validation: ``podium validate PR --base BASE`` where BASE is the N-model data and PR adds
  one real model (every committed run of ``--pr-model``, copied from site_data/), checked with the benchmark data
  (``--data-dir``); stopped after ``--validate-timeout`` seconds;
- the machine's load average (``os.getloadavg``) when each step starts.

Goals (issue 26, 50 models, full size, this 2-core machine): build < 60 s, rebuild after adding one model < 15 s
(same and copied folder), first view < 200 KB gzip, no browser JSON over 500 KB, one-model PR validated < 120 s.
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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.synth_site_data import add_model, all_texts, generate  # noqa: E402

BUILD = """
import json, sys, time
sys.path.insert(0, {code!r})
from pathlib import Path
from evals.records import ItemText
from generator.site.build import build_site
texts = {{k: ItemText(**v) for k, v in json.loads(Path({texts!r}).read_text()).items()}}
t = time.perf_counter()
build_site(Path({data!r}), Path({site!r}), mkdocs_yml=Path({code!r}) / "mkdocs.yml", work=Path({work!r}), texts=texts)
print(time.perf_counter() - t)
"""
GOALS = {"full build": "< 60 s", "rebuild +1 model, same dir": "< 15 s", "rebuild +1 model, copied dir": "< 15 s",
         "home first view (gzip)": "< 200 KB", "largest browser JSON": "< 500 KB", "one-model PR validate": "< 120 s"}


@dataclass
class Timed:
    wall: float
    cpu: float
    load: float
    note: str = ""

    def text(self) -> str:
        return f"{self.wall:.1f} s ({self.cpu:.0f} CPU-s, load {self.load:.1f}){self.note}"

    def short(self) -> str:
        flag = " (failed)" if self.note.startswith(" — exit") else " (stopped)" if "stopped" in self.note else ""
        return f"{self.wall:.1f} s, {self.cpu:.0f} CPU-s, load {self.load:.1f}{flag}"


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float | None = None) -> Timed:
    """Run ``cmd``; wall and CPU seconds (the child and what it waited for) and the load average at the start."""
    ru0, load, t = resource.getrusage(resource.RUSAGE_CHILDREN), os.getloadavg()[0], time.perf_counter()
    note = ""
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            errors = sum(1 for ln in r.stderr.splitlines() if ln.startswith(("error:", "::error")))
            note = f" — exit {r.returncode}, {errors} error line(s): {r.stderr.strip().splitlines()[-1][:160]}" \
                if r.stderr.strip() else f" — exit {r.returncode}"
        else:
            last = [ln for ln in r.stdout.splitlines() if ln.startswith("ok:")]
            note = f" — {last[-1][:140]}" if last else ""
    except subprocess.TimeoutExpired:
        note = f" — stopped after {timeout:.0f} s"
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return Timed(time.perf_counter() - t, cpu, load, note)


def build(code: Path, data: Path, site: Path, work: Path, texts: Path) -> Timed:
    script = BUILD.format(code=str(code), data=str(data), site=str(site), work=str(work), texts=str(texts))
    result = timed([sys.executable, "-c", script], cwd=code, env={**os.environ, "PYTHONPATH": str(code)})
    if result.note.startswith(" — exit"):
        raise SystemExit(f"build with {code} failed{result.note}")
    return result


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def first_view(site: Path) -> tuple[int, list[tuple[str, int]]]:
    """gzip bytes of index.html and of everything it fetches on load (see the module docstring), by file."""
    html = (site / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    for tag in re.findall(r"<link\b[^>]*>", html):
        rel, href = re.search(r'rel="([^"]+)"', tag), re.search(r'href="([^"]+)"', tag)
        if rel and href and rel[1] in ("stylesheet", "preload", "modulepreload"):
            refs.append(href[1])
    refs += re.findall(r'<img[^>]*\ssrc="([^"]+)"', html) + re.findall(r'data-src="([^"]+)"', html)
    gated = "__podiumSearchReleased" in html
    config = re.search(r'<script id="__config"[^>]*>(.*?)</script>', html, re.S)
    if config and not gated and '"search"' in config[1]:
        refs += [p.relative_to(site).as_posix() for p in site.glob("assets/javascripts/workers/search.*.min.js")]
        refs.append("search/search_index.json")
    parts = [("index.html", gz(html.encode()))]
    for ref in sorted(set(refs)):
        path = site / ref.split("?")[0].split("#")[0].lstrip("./")
        if ref.startswith(("http:", "https:", "//", "data:")) or "vega" in path.name or not path.is_file():
            continue
        parts.append((ref, gz(path.read_bytes())))
    return sum(n for _, n in parts), sorted(parts, key=lambda x: -x[1])


def largest_json(site: Path, downloads: bool = False) -> tuple[int, str]:
    """The largest JSON file pages fetch (``downloads/`` are files for the reader to save, not fetched), or with
    ``downloads`` the largest of those."""
    return max(((p.stat().st_size, p.relative_to(site).as_posix()) for p in site.rglob("*.json")
                if (p.relative_to(site).parts[0] == "downloads") == downloads), default=(0, "-"))


def code_of(rev: str, dest: Path) -> Path:
    """The code of ``rev`` (git archive), with this checkout's vendored JS linked in (not in git)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True, check=True)
    code = dest / f"code-{sha.stdout.strip()}"
    if not code.exists():
        code.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    modules = Path("generator/site/assets/node_modules")
    if (REPO / modules).is_dir() and not (code / modules).exists():
        (code / modules).symlink_to(REPO / modules)
    return code


def pr_tree(base: Path, dest: Path, model: str) -> Path:
    """``base`` plus one real model: its entry and every committed run of it."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(base, dest)
    shutil.copy2(REPO / "site_data" / "models" / f"{model}.yaml", dest / "models" / f"{model}.yaml")
    shutil.copytree(REPO / "site_data" / "runs" / model, dest / "runs" / model)
    return dest


def new_model_files(base: Path, plus: Path) -> list[Path]:
    """What ``plus`` has that ``base`` has not (the added model's entry and run folders), relative."""
    mine = {p.relative_to(plus) for p in plus.rglob("*") if p.is_file()}
    return sorted(p for p in mine if not (base / p).exists())


Row = dict[str, tuple[str, str]]  # figure → (table cell, detail)


def measure(label: str, code: Path, a: argparse.Namespace, data: Path, plus: Path, texts: Path) -> Row:
    out, row = a.out / label, {}
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(data, out / "a" / "site_data")
    state, site = out / "state", out / "site"
    full = build(code, out / "a" / "site_data", site, state / "work", texts)
    row["full build"] = (full.short(), full.text())
    home, parts = first_view(site)
    row["home first view (gzip)"] = (f"{home / 1e3:.1f} KB", ", ".join(f"{n} {b / 1e3:.1f}" for n, b in parts[:5]))
    size, name = largest_json(site)
    dsize, dname = largest_json(site, downloads=True)
    row["largest browser JSON"] = (f"{size / 1e3:.1f} KB", f"{name} (largest download: {dname}, "
                                                            f"{dsize / 1e3:.1f} KB)")
    shutil.copytree(state, out / "state-ci")  # what a CI cache restores: the work and cache folders after the build
    for rel in new_model_files(data, plus):
        (out / "a" / "site_data" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(plus / rel, out / "a" / "site_data" / rel)
    same = build(code, out / "a" / "site_data", site, state / "work", texts)
    row["rebuild +1 model, same dir"] = (same.short(), same.text())
    shutil.copytree(plus, out / "b" / "site_data")
    moved = build(code, out / "b" / "site_data", out / "site-b", out / "state-ci" / "work", texts)
    row["rebuild +1 model, copied dir"] = (moved.short(), moved.text())
    cmd = [sys.executable, "-m", "generator", "validate", str(a.out / "pr" / "site_data"), "--base", str(data),
           "--data-dir", str(a.data_dir)]
    val = timed(cmd, code, {**os.environ, "PYTHONPATH": str(code)}, a.validate_timeout)
    row["one-model PR validate"] = (val.short(), val.text())
    if not a.keep:
        shutil.rmtree(out)
    return row


def seconds(text: str) -> float | None:
    m = re.match(r"([\d.]+) (s|KB)", text)
    return float(m[1]) if m else None


def table(rows: dict[str, Row]) -> None:
    labels = list(rows)
    print("\n| figure | goal | " + " | ".join(labels) + (" | ratio |" if len(labels) == 2 else " |"))
    print("|---" * (2 + len(labels) + (len(labels) == 2)) + "|")
    for fig, goal in GOALS.items():
        cells = [rows[lb][fig][0] if fig in rows[lb] else "-" for lb in labels]
        ratio = ""
        if len(labels) == 2:
            x, y = (seconds(c) for c in cells)
            ratio = f" | {y / x:.2f}×" if x and y is not None else " | -"
        print(f"| {fig} | {goal} | " + " | ".join(cells) + ratio + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of each suite's full size")
    ap.add_argument("--samples", type=int, default=100, help="HumanEval samples per problem")
    ap.add_argument("--trials", type=int, default=9, help="sampled trials per scenario and protocol (+ greedy)")
    ap.add_argument("--base-rev", default="HEAD~1", help="the earlier commit to compare with ('' for none)")
    ap.add_argument("--pr-model", default="smollm2-135m-instruct", help="the committed model the PR adds")
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "benchmarks")
    ap.add_argument("--validate-timeout", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/podium-scale"))
    ap.add_argument("--data", type=Path, help="reuse N-model site_data generated before (same size options)")
    ap.add_argument("--keep", action="store_true", help="keep the sites and work folders")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    data, plus = a.out / "data" / "site_data", a.out / "data-plus" / "site_data"
    t = time.perf_counter()
    if a.data:
        data = a.data
    else:
        generate(data, models=a.models, scale=a.scale, samples=a.samples, trials=a.trials, extras=False)
    if plus.exists():
        shutil.rmtree(plus)
    shutil.copytree(data, plus)
    add_model(plus, a.models, scale=a.scale, samples=a.samples, trials=a.trials)
    texts = a.out / "texts.json"
    texts.write_text(json.dumps({k: v.model_dump(mode="json") for k, v in all_texts(a.scale).items()}))
    pr_tree(data, a.out / "pr" / "site_data", a.pr_model)
    size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    runs = len(list(data.glob("runs/*/*/*/run.json")))
    print(f"data: {a.models} models, scale {a.scale}, HumanEval × {a.samples}, scenarios greedy + {a.trials} trials: "
          f"{runs} runs, {size / 1e6:.1f} MB of site_data ({time.perf_counter() - t:.0f} s to prepare); "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    codes = {}
    if a.base_rev:
        codes[f"{a.base_rev} ({code_of(a.base_rev, a.out).name[5:]})"] = code_of(a.base_rev, a.out)
    codes["this checkout"] = REPO
    rows = {}
    for label, code in codes.items():
        print(f"[{label}] …", flush=True)
        rows[label] = measure(re.sub(r"\W+", "-", label), code, a, data, plus, texts)
        for fig, (_, detail) in rows[label].items():
            print(f"  {fig}: {detail}", flush=True)
    table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
