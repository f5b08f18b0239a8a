"""The workflows `podium init` writes, run as CI would: every `run:` step of each job, in order, parsed from the
YAML, in the generated repository, with Podium installed from the local wheel that requirements.txt names (the
clean-clone wheel of tests/support/dist.py). `uses:` steps are played by the test (checkouts are copies, artefacts
are directories). The story: CI on main → a GPU evaluation (embedded backend, two shards, merged and validated)
→ its pull request validated with the base branch's Podium → the Pages build of the merged main. The last job of
gpu-eval.yml (git push + gh pr create) and the Pages deployment need GitHub and are not run."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.dist import Dist, build_dist, sh
from tests.support.servers import REPO

pytestmark = pytest.mark.slow
TITLE = "Workflow board"
SUITE = "scenario:math-9-11-vs-9-9"
INPUTS = {"model": "smollm2-135m-instruct", "suites": SUITE, "backend": "embedded", "samples": "", "shards": "2"}


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    return build_dist(tmp_path_factory.getbasetemp())


class Runner:
    """Runs a job's `run:` steps the way GitHub's runner does (bash -eo pipefail, or python for `shell: python`)."""

    def __init__(self, tmp: Path) -> None:
        self.temp = tmp / "runner"
        self.temp.mkdir()
        self.summary = self.temp / "summary.md"
        self.output = self.temp / "output.txt"
        path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if str(REPO) not in p)
        self.env = {"PATH": path, "RUNNER_TEMP": str(self.temp), "GITHUB_REPOSITORY_OWNER": "acme",
                    "GITHUB_REPOSITORY": "acme/board", "GITHUB_RUN_ID": "1", "GITHUB_STEP_SUMMARY": str(self.summary),
                    "GITHUB_OUTPUT": str(self.output), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        self.ran: list[str] = []

    def job(self, workflow: Path, job: str, cwd: Path, matrix: dict[str, str] | None = None,
            skip: tuple[str, ...] = ()) -> None:
        spec = yaml.safe_load(workflow.read_text())["jobs"][job]
        for step in spec["steps"]:
            if "run" not in step or any(s in step.get("name", "") for s in skip):
                continue
            assert "${{" not in step["run"], f"{workflow.name}: an expression inside a script: {step['run']}"
            env = {k: self._expr(str(v), matrix or {}) for k, v in step.get("env", {}).items()}
            wd = cwd / step.get("working-directory", ".")
            if step.get("shell") == "python":
                script = self.temp / "step.py"
                script.write_text(step["run"])
                cmd = ["python3", str(script)]
            else:
                cmd = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
            env_all = {k: v for k, v in {**os.environ, **self.env}.items()
                       if k not in ("PODIUM_DATA_DIR", "PODIUM_CACHE_DIR", "VIRTUAL_ENV")} | env
            r = sh(cmd, cwd=wd, env=env_all, ok=False, timeout=1200)
            assert r.returncode == 0, f"{workflow.name} / {job} / {step.get('name')}\n{r.stdout[-3000:]}\n" \
                                      f"{r.stderr[-3000:]}"
            self.ran.append(f"{workflow.stem}/{job}: {step.get('name', step['run'].splitlines()[0])}")

    def _expr(self, value: str, matrix: dict[str, str]) -> str:
        def one(m: re.Match[str]) -> str:
            scope, _, key = m[1].partition(".")
            table: dict[str, Any] = {"inputs": INPUTS, "matrix": matrix}[scope]
            return str(table[key])
        return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", one, value)

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.output.read_text().splitlines() if "=" in line)


def copy_repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".venv", "site", ".podium"), symlinks=True)
    return dest


def test_generated_workflows_run_as_ci_would(dist: Dist, tmp_path: Path, data_dir: Path) -> None:
    board = tmp_path / "board"
    sh([shutil.which("python3") or "python3", "-c", "import sys; sys.exit(sys.version_info < (3, 11))"],
       cwd=tmp_path)
    from generator.cli.init import scaffold

    scaffold(board, title=TITLE, requirement_line=f"./wheels/{dist.wheel.name}", wheel=dist.wheel)
    sh(["git", "init", "-q", "-b", "main"], cwd=board)
    sh(["git", "add", "-A"], cwd=board)
    sh(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init"], cwd=board)
    base = copy_repo(board, tmp_path / "main-before")  # the base branch the pull request is judged by
    ci = Runner(tmp_path)
    shutil.copytree(data_dir, ci.temp / "benchmarks")  # `podium data fetch` verifies them (no download)
    wf = board / ".github" / "workflows"

    ci.job(wf / "ci.yml", "validate", board)

    # GPU evaluation: plan → each (suite, shard) job in a fresh output directory → merge and validate
    ci.job(wf / "gpu-eval.yml", "plan", board)
    matrix = json.loads(ci.outputs()["matrix"])["include"]
    assert matrix == [{"suite": SUITE, "shard": "1/2"}, {"suite": SUITE, "shard": "2/2"}]
    for i, cell in enumerate(matrix):
        ci.job(wf / "gpu-eval.yml", "eval", board, matrix=cell)
        shutil.copytree(ci.temp / "shard-out" / "runs", ci.temp / "shards" / f"shard-{i}")  # upload/download
    ci.job(wf / "gpu-eval.yml", "merge", board)
    merged = list((ci.temp / "new" / "site_data" / "runs").glob("*/*/*/run.json"))
    assert len(merged) == 1, merged

    # its pull request, validated with the base branch's Podium (two checkouts: base and pr)
    shutil.copytree(base, tmp_path / "pr" / "base", symlinks=True)
    pr = copy_repo(board, tmp_path / "pr" / "pr")
    ci.job(wf / "validate-pr.yml", "validate", tmp_path / "pr")
    assert "All files under site_data/ pass." in ci.summary.read_text()
    assert (ci.temp / "site" / "index.html").is_file()
    assert pr.exists()

    # merged: Pages builds main
    ci.job(wf / "pages.yml", "build", board)
    home = (board / "site" / "index.html").read_text()
    assert TITLE in home and "https://acme.github.io/board/" in home
    print("\n" + "\n".join(ci.ran))
