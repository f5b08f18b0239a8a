"""`podium --help` lists every command without importing them (no pandas, Altair or engine at start-up), and an
engine of an extra that is not installed is one line with the exact pip command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evals.backends import backend_module, missing_extra
from evals.errors import ConfigError
from generator.cli import COMMANDS, SUMMARIES


def test_help_lists_every_command_and_imports_none() -> None:
    code = ("import sys\nfrom generator.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'altair', 'mkdocs', 'xllamacpp', 'openai', 'generator.cli.run',"
            " 'generator.site.build') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"
    for name in COMMANDS:
        assert f"  {name} " in r.stdout, name
    assert set(SUMMARIES) <= set(COMMANDS)


def test_a_missing_engine_is_one_line_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "xllamacpp" else real(n, *a))
    with pytest.raises(ConfigError) as exc:
        backend_module("embedded")
    line = exc.value.one_line()
    assert "[embedded]" in line and line.endswith(f"{sys.executable} -m pip install 'podium-evals[embedded]'")
    error = missing_extra("openai._client")
    assert error is not None and "podium-evals[openai]" in error.one_line()
    assert missing_extra("numpy") is None
