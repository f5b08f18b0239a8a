"""Stage 2: files that passed stage 1, against the record types and against each other."""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from evals.errors import PodiumError
from evals.records import FILE_TYPES, SCHEMA_VERSION, ModelEntry, RunRecord, SampleRecord
from evals.store import read_run, read_samples
from evals.story import STORY_FILE, load_story
from evals.validation.files import Scan
from evals.validation.layout import RUN_FILES
from evals.validation.outputs import output_problems
from evals.validation.problems import Problem
from evals.validation.registry import SuiteCheck, check_suite
from evals.validation.reported import check_reported
from evals.validation.sense import error_problems, run_problems, token_problems
from evals.validation.strict import looks_numeric
from evals.verify import verify_run
from evals.yamlio import load_yaml_model


def check_records(root: Path, scan: Scan, data_dir: Path | None = None) -> list[Problem]:
    problems: list[Problem] = []
    # a model whose file is broken is still known (its own problem is reported once, at the model file)
    models = {p.stem for p in scan.seen if p.parent == root / "models" and p.suffix == ".yaml" and not p.is_symlink()}
    for path in scan.models:
        problems += _check_model(path, scan.clean[path])
    problems += _check_runs(root, scan, models, data_dir)
    for path, content in scan.clean.items():
        if path.parent == root / "schema":
            problems += _check_schema_file(path, content)
        elif path == root / STORY_FILE:
            problems += _check_story(root, path, models)
        elif path.parent == root / "reported" and isinstance(content, str):
            problems += check_reported(path, content, models)
    return problems


def _check_story(root: Path, path: Path, models: set[str]) -> list[Problem]:
    """The seed story: its schema, and the models it names exist."""
    try:
        story = load_story(root)
    except PodiumError as exc:
        return [_podium_problem(exc, path)]
    if story is None:
        return []
    lines = _yaml_key_lines(path)
    return [Problem.at(path, lines.get("model_id"), f"{role} model_id '{mid}' has no site_data/models/{mid}.yaml",
                       f"add it (podium add-model {mid}) or name a model that has one")
            for role, mid in (("challenger", story.challenger.model_id), ("opponent", story.opponent.model_id))
            if mid not in models]


def _podium_problem(exc: PodiumError, path: Path) -> Problem:
    return Problem.from_where(exc.where, exc.what, exc.fix, path)


def _number_hint(text: str) -> str:
    """YAML 1.1 (PyYAML) reads an exponent without a dot and a sign, like 1e3, as text even when unquoted."""
    if re.search(r"[eE]", text) and not re.fullmatch(r"\s*-?\d+\.\d*[eE][+-]\d+\s*", text):
        return f"YAML reads {text.strip()} as text, not a number: write {float(text)!r} (an exponent needs a dot " \
               "and a sign, e.g. 1.0e+3)"
    return f"write {text!r} as a number, not in quotes"


def _strict_problems(cls: type[BaseModel], data: Any, path: Path, line_of: dict[str, int] | None = None,
                     line: int | None = None) -> list[Problem]:
    """Problems pydantic's strict mode finds that its lax mode forgave (numbers or booleans written as strings)."""
    try:
        if isinstance(data, str):
            cls.model_validate_json(data, strict=True)
        else:
            cls.model_validate(data, strict=True)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            got = err.get("input")
            hint = _number_hint(got) if isinstance(got, str) and looks_numeric(got) else \
                "use the type the schema names (site_data/schema/)"
            where = line if line is not None else (line_of or {}).get(str(err["loc"][-1]) if err["loc"] else "")
            out.append(Problem.at(path, where, f"field '{loc}': {err['msg']} (got {got!r:.40})", hint))
        return out
    return []


def _check_model(path: Path, data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem.at(path, 1, "expected a mapping of fields", "see site_data/schema/model.schema.json")]
    lines = _yaml_key_lines(path)
    out = []
    if data.get("id") != path.stem:
        out.append(Problem.at(path, lines.get("id", 1), f"id '{data.get('id')}' differs from the file name "
                              f"'{path.stem}'", f"set id: {path.stem} (or rename the file to <id>.yaml)"))
    markup = _markup(data, path, lines)
    if markup:
        return out + markup
    try:
        load_yaml_model(path, ModelEntry)
    except PodiumError as exc:
        return [*out, _podium_problem(exc, path)]
    return out + _strict_problems(ModelEntry, data, path, lines)


_MARKUP = re.compile(r"[<>]|&[#A-Za-z0-9]+;|[\x00-\x1f\x7f]")
DISPLAY_FIELDS = ("name", "family")


def _markup(data: dict[str, Any], path: Path, lines: dict[str, int]) -> list[Problem]:
    """Display names are plain text: no HTML tags, entities or control characters (the site escapes them anyway)."""
    out = []
    for key in DISPLAY_FIELDS:
        value = data.get(key)
        if isinstance(value, str) and (m := _MARKUP.search(value)):
            out.append(Problem.at(path, lines.get(key, 1), f"display name field '{key}' is not plain text "
                                  f"({m.group(0)!r} in {value[:40]!r})", "write it as plain text, without HTML tags, "
                                  "angle brackets, entities or control characters"))
    return out


def _yaml_key_lines(path: Path) -> dict[str, int]:
    lines: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        key = line.split(":", 1)[0].strip()
        if ":" in line and key and not line.lstrip().startswith("#"):
            lines.setdefault(key, n)
    return lines


def _json_key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith('"') and '":' in s:
            lines.setdefault(s[1:s.index('":')], n)
    return lines


def _check_runs(root: Path, scan: Scan, models: set[str], data_dir: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    by_id: dict[str, list[Path]] = defaultdict(list)
    run_dirs = {p.parent for p in scan.seen if p.name in RUN_FILES and len(p.relative_to(root).parts) == 5}
    for d in sorted(run_dirs):
        if not (d / "run.json").exists():
            problems.append(Problem.at(d / "samples.jsonl.gz", None, "samples without run.json (an unfinished "
                                       "run?)", "re-run the evaluation to finish it, or remove the folder"))
            continue
        raw = scan.clean.get(d / "run.json")
        if isinstance(raw, dict) and isinstance(raw.get("run_id"), str):
            by_id[raw["run_id"]].append(d / "run.json")
        if d in scan.runs:
            deep = d not in scan.unchanged  # an unchanged run's samples are the base's bytes: not read again
            problems += _check_run(root, d, raw, models, deep and (d / "samples.jsonl.gz") in scan.clean, data_dir)
    for run_id, paths in by_id.items():
        for p in paths[1:]:
            problems.append(Problem.at(p, _json_key_lines(p.read_text(encoding="utf-8")).get("run_id"),
                                       f"run id '{run_id}' is also used by {paths[0]}",
                                       "run ids are unique across site_data: keep one copy of the run"))
    return problems


def _check_run(root: Path, d: Path, raw: Any, models: set[str], samples_ok: bool,
               data_dir: Path | None) -> list[Problem]:
    path = d / "run.json"
    text = path.read_text(encoding="utf-8")
    lines = _json_key_lines(text)
    try:
        run = read_run(path)
    except PodiumError as exc:
        version = raw.get("schema_version", 1) if isinstance(raw, dict) else None
        if type(version) is int and version < SCHEMA_VERSION:
            return [Problem.at(path, lines.get("schema_version"), f"schema v{version}, older than this Podium's "
                               f"v{SCHEMA_VERSION} (not readable without the benchmark data)",
                               f"rewrite it: podium upgrade {d} --data-dir <BENCHMARKS>")]
        return [_field_problem(exc, path, lines)]
    current = isinstance(raw, dict) and raw.get("schema_version") == SCHEMA_VERSION
    out = _strict_problems(RunRecord, text, path, lines) if current else []
    rel = d.relative_to(root / "runs").parts
    if rel != (run.model_id, run.suite.id, run.run_id):
        out.append(Problem.at(path, None, f"stored under runs/{'/'.join(rel)} but says model={run.model_id} "
                              f"suite={run.suite.id} run_id={run.run_id}",
                              f"move it to runs/{run.model_id}/{run.suite.id}/{run.run_id}/"))
    if run.model_id not in models:
        out.append(Problem.at(path, None, f"model '{run.model_id}' has no site_data/models/{run.model_id}.yaml",
                              f"add it: podium add-model {run.model_id}"))
    suite = check_suite(run, path, lines, data_dir)
    out += suite.problems + suite.notes
    out += run_problems(run, raw if isinstance(raw, dict) else {}, path, lines)
    if not (d / "samples.jsonl.gz").exists():
        out.append(Problem.at(d, None, "samples.jsonl.gz missing", "every run ships its samples"))
    elif samples_ok:
        out += _check_samples(d / "samples.jsonl.gz", run, strict=current, data_dir=data_dir, suite=suite,
                              lines=lines)
    if not current:
        out.append(Problem.at(path, None, f"schema v{raw.get('schema_version', 1) if isinstance(raw, dict) else '?'}"
                              f" (read upgraded in memory)", f"rewrite it: podium upgrade {d}"))
    return out


def _field_problem(exc: PodiumError, path: Path, lines: dict[str, int]) -> Problem:
    """A record error at the line of the field it names ("field 'cost.usd': …"), when the key is found."""
    problem = _podium_problem(exc, path)
    m = re.match(r"field '([^']+)'", exc.what)
    if problem.line is None and problem.file == str(path) and m:
        key = m.group(1).split(".")[-1]
        return Problem.at(path, lines.get(key), problem.what, problem.fix)
    return problem


def _check_samples(path: Path, run: RunRecord, strict: bool, data_dir: Path | None, suite: SuiteCheck,
                   lines: dict[str, int]) -> list[Problem]:
    try:
        samples = read_samples(path)
    except PodiumError as exc:
        return [_podium_problem(exc, path)]
    out: list[Problem] = []
    if strict:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                out += _strict_problems(SampleRecord, line, path, line=lineno)[:3]
                if len(out) > 50:
                    break
    if len(samples) != run.n_items:
        out.append(Problem.at(path, None, f"run.json says {run.n_items} items, samples has {len(samples)}",
                              "re-run the evaluation (or merge all shards)"))
    run_json = path.parent / "run.json"
    out += output_problems(run, samples, path)
    out += token_problems(run, samples, run_json, lines)
    out += error_problems(run, run_json, lines, sum(1 for s in samples if any(o.error for o in s.outputs)))
    ids = [s.item_id for s in samples]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        out.append(Problem.at(path, ids.index(dup, ids.index(dup) + 1) + 1, f"duplicate item id '{dup}'",
                              "each item appears once per run"))
        return out
    if suite.suite is None or suite.problems:
        return out  # an unknown or contradicted suite: nothing to recompute with
    try:  # the numbers follow from the samples: metrics recomputed, prompts rebuilt, scores re-graded
        out += [Problem.from_where(f.where, f.what, f.fix, path) for f in verify_run(
            run, samples, path.parent, data_dir, regrade=suite.current)]
    except PodiumError as exc:
        out.append(_podium_problem(exc, run_json))
    return out


def _check_schema_file(path: Path, content: Any) -> list[Problem]:
    name = path.name.removesuffix(".schema.json")
    cls = FILE_TYPES.get(name)
    if cls is None:
        return [Problem.at(path, None, f"unknown schema '{name}'", f"schemas are {', '.join(sorted(FILE_TYPES))}"
                           " — remove it")]
    if json.loads(json.dumps(cls.model_json_schema())) != content:
        return [Problem.at(path, None, "out of date with the record types", "run: podium schema")]
    return []
