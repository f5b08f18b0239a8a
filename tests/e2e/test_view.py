"""``podium view``: a real run (embedded model) and a copy with hostile outputs, as one page opened in headless
Chromium over file:// — metrics with intervals, the per-item table, the joined benchmark text, the filters, and
model output that stays text."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from evals.store import read_run, read_samples, write_run
from tests.conftest import copy_site_data, podium

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\"> & </td></tr>"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """site_data with a real 3-item GSM8K run, and a second run: the same one whose outputs are hostile markup."""
    root = tmp_path_factory.mktemp("view")
    data = copy_site_data(root)
    r = podium("run", "--suite", "gsm8k", "--limit", "3", "--max-tokens", "48", "--site-data", str(data), cwd=root)
    assert r.returncode == 0, r.stderr
    (run_json,) = data.glob("runs/*/gsm8k/*/run.json")
    run, samples = read_run(run_json), read_samples(run_json.parent / "samples.jsonl.gz")
    hostile = [s.model_copy(update={"outputs": [o.model_copy(update={"text": HOSTILE}) for o in s.outputs]})
               for s in samples]
    write_run(data, run.model_copy(update={"run_id": run.run_id[:-6] + "aaaaaa"}), hostile)
    return data



def view(*args: str, cwd: Path) -> Path:
    r = podium("view", *args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    printed = r.stdout.strip().rpartition(" → ")[2]
    (path,) = shlex.split(printed)  # the printed path is quoted for the shell
    return Path(path)


def test_one_run_page(runs: Path, data_dir: Path, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (run_dir,) = [p.parent for p in runs.glob("runs/*/gsm8k/*/run.json") if not p.parent.name.endswith("aaaaaa")]
    out = view(str(run_dir), "--out", str(tmp_path / "with space" / "page.html"), cwd=tmp_path)
    assert out == tmp_path / "with space" / "page.html" and out.is_file()
    run = read_run(run_dir / "run.json")
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(out.as_uri())
    assert page.title() == f"{run.model_id} on gsm8k"
    metrics = page.locator("table.metrics tbody tr")
    assert metrics.count() == len([m for m in run.metrics if m.group is None])
    main = run.main()
    assert main is not None
    row = page.locator("table.metrics tbody tr", has_text=main.variant).first.inner_text()
    assert f"{main.value:.1%}" in row and f"{main.ci_low:.1%} – {main.ci_high:.1%}" in row
    items = page.locator(".items tbody tr")
    assert items.count() == 3 and page.locator(".items .count").inner_text() == "3 of 3 items"
    assert items.first.locator("td").first.inner_text() == "gsm8k/test/0000"
    # the benchmark text is joined from the data directory (closed by default)
    question = items.first.locator("details")
    question.locator("summary").click()
    assert len(question.inner_text()) > 40 and "reference:" in question.inner_text()
    # filters: by text, then wrong-only
    page.fill(".items input[type=search]", "gsm8k/test/0002")
    assert page.locator(".items .count").inner_text() == "1 of 3 items"
    page.fill(".items input[type=search]", "")
    page.check(".items input[type=checkbox]")
    wrong = sum(1 for s in read_samples(run_dir / "samples.jsonl.gz") if s.scores["strict"] < 1)
    assert page.locator(".items .count").inner_text() == f"{wrong} of 3 items"
    assert requests == [out.as_uri()]  # self-contained: nothing else is fetched
    page.close()


def test_directory_of_runs_keeps_outputs_as_text(runs: Path, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = view(str(runs / "runs"), "--no-text", cwd=tmp_path)  # default: a new file in the temporary directory
    try:
        page = browser.new_page()
        page.goto(out.as_uri())
        assert page.locator("table.runs tbody tr").count() == 2
        assert page.locator(".items").count() == 2
        hostile = page.locator("pre", has_text="window.pwned").first
        assert hostile.inner_text() == HOSTILE  # shown as the text it is
        assert page.evaluate("window.pwned") is None
        assert page.locator(".items img").count() == 0 and page.locator(".items tbody tr").count() == 6
        page.close()
    finally:
        out.unlink()


def test_not_a_run_is_one_line(tmp_path: Path) -> None:
    r = podium("view", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"error: {tmp_path}: no run.json under this directory — pass a run "
                                             "directory or a directory of runs (e.g. site_data/runs)"]
