"""Podium's sdist and wheel built as a packager would: from a clean clone of the committed repository (uncommitted
work is not in it), the vendored Vega fetched with npm, ``python -m build`` (the sdist, then the wheel from the
sdist). Built once per test session (cached under pytest's base temp directory) for test_wheel.py and
test_scaffold_workflows.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import REPO


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path
    without_vendor: str  # what building a wheel without the vendored files printed (it must fail)
    seconds: float


def sh(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, ok: bool = True,
       timeout: float = 900) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})})
    if ok:
        assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def venv(path: Path) -> Path:
    """A fresh venv (the base interpreter, not the test run's venv); its bin directory."""
    sh([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(path)], cwd=path.parent)
    return path / "bin"


def build_dist(base: Path) -> Dist:
    out = Path(os.environ.get("PODIUM_TEST_DIST") or base / "podium-dist")  # set: reuse a built one
    record = out / "dist.json"
    if record.exists():
        d = json.loads(record.read_text())
        return Dist(Path(d["wheel"]), Path(d["sdist"]), d["without_vendor"], d["seconds"])
    t0 = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    clone = out / "clone"
    sh(["git", "clone", "-q", str(REPO), str(clone)], cwd=out)
    bad = sh([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out / "bad"), str(clone)],
             cwd=out, ok=False)
    assert bad.returncode != 0 and not list((out / "bad").glob("*.whl")), "a wheel without Vega was built"
    sh(["npm", "ci", "--prefix", "generator/site/assets", "--no-audit", "--no-fund", "--ignore-scripts",
        "--loglevel=error"], cwd=clone)
    tools = venv(out / "tools")
    sh([str(tools / "pip"), "install", "-q", "build"], cwd=out)
    sh([str(tools / "python"), "-m", "build", "--outdir", str(out / "dist"), str(clone)], cwd=out)
    (wheel,) = (out / "dist").glob("podium_evals-*.whl")
    (sdist,) = (out / "dist").glob("podium?evals-*.tar.gz")
    dist = Dist(wheel, sdist, bad.stdout + bad.stderr, time.monotonic() - t0)
    record.write_text(json.dumps({"wheel": str(wheel), "sdist": str(sdist), "without_vendor": dist.without_vendor,
                                  "seconds": dist.seconds}))
    return dist
