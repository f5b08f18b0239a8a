"""``podium list suites|models|backends``: what there is to run, one line each (``lm-eval ls tasks``)."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path

import click

from evals.data import default_data_dir
from evals.errors import PodiumError
from generator.cli.options import data_dir_option, resolve_data_dir, site_data_option

COUNTS_CACHE = Path.home() / ".cache" / "podium" / "item-counts.json"
# what each backend needs, in words; whether it is installed is checked without importing the engine
NEEDS = {
    "embedded": ("llama.cpp (xllamacpp) + the SmolLM2 GGUF", ("xllamacpp",)),
    "openai": ("the openai client + an OpenAI-compatible server (--base-url)", ("openai",)),
    "vllm": ("vLLM, here or in another environment (PODIUM_VLLM_PYTHON or .venv-vllm)", ()),
    "fake": ("nothing (scripted answers, for tests)", ()),
}


def suite_ids() -> list[str]:
    """Every suite id ``--suite`` takes: the registry, its protocol variants, one per scenario."""
    from evals.suites import listed_suite_ids

    return listed_suite_ids()


def _stamp(data_dir: Path, files: list[str]) -> str:
    parts = []
    for rel in files:
        try:
            st = (data_dir / rel).stat()
            parts.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            return ""
    return "|".join(parts)


def item_count(suite_id: str, data_dir: Path, cache: dict[str, list[object]]) -> str:
    """Items in the suite's split, or "-" when its data is not here; cached by the data files' sizes and times."""
    from evals.suites import get_suite

    try:
        suite = get_suite(suite_id)
        stamp = _stamp(data_dir, suite.data_files(data_dir))
        hit = cache.get(suite_id)
        if stamp and hit and hit[0] == stamp:
            return str(hit[1])
        n = len(suite.load(data_dir))
    except (PodiumError, OSError):
        return "-"
    if stamp:
        cache[suite_id] = [stamp, n]
    return str(n)


def suite_lines(data_dir: Path) -> Iterator[tuple[str, ...]]:
    from evals.suites import get_suite

    try:
        cache = json.loads(COUNTS_CACHE.read_text())
    except (OSError, ValueError):
        cache = {}
    before = dict(cache)
    for sid in suite_ids():
        info = get_suite(sid).info
        items = item_count(sid, data_dir, cache)
        yield (sid, info.protocol, f"{items} items", f"{info.shots}-shot", info.split, info.display_name)
    if cache != before:
        try:
            from evals.atomic import write_json

            COUNTS_CACHE.parent.mkdir(parents=True, exist_ok=True)
            write_json(COUNTS_CACHE, cache)
        except OSError:
            pass  # a read-only home: counted again next time


def model_lines(site_data: Path) -> Iterator[tuple[str, ...]]:
    from evals.store import load_models

    for m in load_models(site_data):
        kind = "chat" if m.chat else "base"
        where = f"api: {m.api_model}" if m.api_model else m.source
        quant = f" [{m.quantization}]" if m.quantization else ""
        yield (m.id, kind, f"{where}{quant}")


def vllm_state() -> str:
    if importlib.util.find_spec("vllm") is not None:
        return "installed (this environment)"
    from evals.backends.vllm_remote import PYTHON_ENV, candidates, has_vllm

    given = os.environ.get(PYTHON_ENV)
    for python in [Path(given).expanduser()] if given else candidates():
        if python.exists() and has_vllm(python):
            return f"installed ({python})"
    return f"not installed ({PYTHON_ENV}={given} has no vllm)" if given else "not installed"


def backend_lines() -> Iterator[tuple[str, ...]]:
    from evals.backends import BACKENDS

    for name in BACKENDS:
        needs, modules = NEEDS.get(name, ("", ()))
        if name == "vllm":
            state = vllm_state()
        else:
            missing = [m for m in modules if importlib.util.find_spec(m) is None]
            state = f"not installed ({', '.join(missing)} missing)" if missing else "installed"
        yield (name, state, f"needs {needs}")


@click.command("list")
@click.argument("what", type=click.Choice(["suites", "models", "backends"]))
@site_data_option()
@data_dir_option
def list_cmd(what: str, site_data: Path, data_dir: Path | None) -> None:
    """List the suites (protocol, items, shots), models (chat/base, source) or backends (installed or not).

    \b
    Examples:
      podium list suites          # one line each: id, protocol, items, shots, split, name
      podium list models          # site_data/models/*.yaml
      podium list backends        # what each engine needs and whether it is installed here
    """
    if what == "suites":
        lines = suite_lines(resolve_data_dir(data_dir) if data_dir else default_data_dir())
    elif what == "models":
        lines = model_lines(site_data)
    else:
        lines = backend_lines()
    rows = list(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        click.echo("  ".join([*(c.rjust(w) if c.endswith(" items") else c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)),
                              row[-1]]).rstrip())
