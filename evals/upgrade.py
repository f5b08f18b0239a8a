"""Schema upgrades of ``site_data/`` files: version 1 → 2 → 3 → 4.

Version 3 → 4 (runs only): the grader configuration, a JSON string in v3, becomes a typed value
(:mod:`evals.grader_records`); its canonical text is that string, so no suite version changes.

Version 2 → 3 (runs only; samples are unchanged): the prose ``selection`` and ``limit`` become a typed
:class:`~evals.records.SelectionRecord`; the suite record gains its base suite, variant, baselines (chance,
majority), whether it counts in the average and the kind of model its protocol is made for — facts of the suite
code, passed in as ``facts``; the run gains ``errors_allowed`` (0: a v2 run declared none), ``synthetic`` (the fake
backend) and ``response_bias``; a HumanEval completion command names its protocol (``humaneval:completion``),
since ``--suite humaneval`` now follows the model's kind.

Version 1 kept fields inside strings (metric groups ``"category:stem"``, ``pass@10`` as a name, shards ``"2/8"``,
sampling settings and log-likelihoods inside ``extracted``/``detail`` text) and repeated each item's benchmark text
(question, choices, reference, the full few-shot prompt) in every sample. This module is the one place that still
reads those strings: it turns a v1 run or sample (as parsed JSON) into a v2 one. Benchmark text is dropped; the
prompt is kept only as its sha256 — recomputed exactly by the suite when the benchmark data directory is at hand
(``prompt_sha`` callback), else the sha256 of the v1 prompt text (validate then reports the mismatch).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evals.grader_records import from_v3
from evals.hashing import sha256_json, sha256_text

Json = dict[str, Any]
PromptSha = Callable[[str], str | None]  # item id → exact prompt sha256, or None when the item is unknown
LETTERS = "ABCDEFGHIJ"
_PASS_AT = re.compile(r"^pass@(\d+)$")
_LL = re.compile(r"([A-Za-z]+): (-?[0-9.]+(?:e-?\d+)?)( \(greedy\))?")


def run_version(raw: object) -> int:
    version = raw.get("schema_version", 1) if isinstance(raw, dict) else 1
    return version if isinstance(version, int) else 1


def _group(text: object) -> Json | None:
    if not isinstance(text, str) or not text:
        return None
    kind, sep, rest = text.partition(":")
    if sep and kind in ("category", "subject", "scenario", "protocol"):
        return {"kind": kind, "id": rest}
    return {"kind": "subject", "id": text}  # v1 sample groups of MMLU were bare subject names


def _metric_ref(main: object) -> Json | None:
    if not isinstance(main, list) or len(main) != 2:
        return None
    name, variant = main
    m = _PASS_AT.match(str(name))
    return {"name": "pass@k", "variant": variant, "k": int(m.group(1))} if m else {"name": name, "variant": variant}


def upgrade_metric(m: Json) -> Json:
    out = dict(m)
    if (hit := _PASS_AT.match(str(out.get("name")))) is not None:
        out["name"], out["k"] = "pass@k", int(hit.group(1))
    if out.get("name") == "grader_score" and ":" in str(out.get("variant")):
        pos, _, grader = str(out["variant"]).partition(":")
        out["variant"], out["position"] = grader, int(pos)
    out["group"] = _group(out.get("group"))
    return out


def upgrade_run(raw: Json) -> Json:
    """A v1 ``run.json`` (parsed) as a v2 one."""
    out = dict(raw)
    out["schema_version"] = 2
    suite = dict(out["suite"])
    suite["main_metric"] = _metric_ref(suite.get("main_metric"))
    limit = re.match(r"first (\d+)", str(suite.get("selection", "")))
    suite["limit"] = int(limit.group(1)) if limit else None
    out["suite"] = suite
    shard = out.get("shard")
    if isinstance(shard, str) and "/" in shard:
        i, _, n = shard.partition("/")
        out["shard"] = {"index": int(i), "count": int(n)}
    out.setdefault("prompt_tokens_cached", 0)
    out["metrics"] = [upgrade_metric(m) for m in out.get("metrics", [])]
    return out


def selection_v3(suite_id: str, text: str, limit: object, subjects: list[str]) -> Json:
    """The typed selection of a v2 run, from its prose and ``limit`` (the only v2 → v3 string reading)."""
    if not isinstance(limit, int):
        return {"kind": "full", "subjects": subjects}
    per = "scenario" if suite_id.startswith("scenario") else ("subject" if "per subject" in text else None)
    return {"kind": "first_n", "n": limit, "per": per, "subjects": subjects}


def facts_from_id(suite_id: str) -> Json:
    """A stored suite id's base, variant, kind of model and whether it is averaged (v2 files had only the id)."""
    if suite_id.startswith("scenario"):
        return {"base": "scenarios", "variant": None, "intended_for": "chat", "in_average": False}
    base, _, variant = suite_id.partition("-")
    return {"base": base, "variant": variant or None, "in_average": True,
            "intended_for": {"humaneval": "base", "humaneval-chat": "chat"}.get(suite_id, "any")}


def upgrade_run_v3(raw: Json, facts: Json, response_bias: Json | None) -> Json:
    """A v2 ``run.json`` (parsed) as a v3 one; ``facts``: base, variant, chance, majority, majority_label,
    in_average and intended_for of the suite that wrote it."""
    out = dict(raw)
    out["schema_version"] = 3
    suite = dict(out["suite"])
    text = str(suite.get("selection", ""))
    suite["selection"] = selection_v3(str(suite["id"]), text, suite.pop("limit", None), [])
    suite.update(facts)
    out["suite"] = suite
    out.setdefault("errors_allowed", 0)
    out["synthetic"] = out.get("backend", {}).get("name") == "fake"
    out["response_bias"] = response_bias
    command = str(out.get("command", ""))
    if suite["id"] == "humaneval":
        command = re.sub(r"--suite humaneval(?=\s|$)", "--suite humaneval:completion", command)
    out["command"] = command
    return out


def upgrade_run_v4(raw: Json) -> Json:
    """A v3 ``run.json`` (parsed) as a v4 one: the grader string parsed into its typed value."""
    out = dict(raw)
    out["schema_version"] = 4
    suite = dict(out["suite"])
    if isinstance(suite.get("grader"), str):
        suite["grader"] = from_v3(suite["grader"])
    out["suite"] = suite
    return out


def _labels(suite_id: str) -> str | tuple[str, ...]:
    return ("no", "yes") if suite_id.startswith("boolq") else LETTERS


def _index(label: object, labels: str | tuple[str, ...]) -> int | None:
    if not isinstance(label, str) or not label:
        return None
    seq = list(labels)
    return seq.index(label) if label in seq else None


def _choice_detail(o: Json, suite_id: str) -> Json:
    ex, labels = o.get("extracted") or {}, _labels(suite_id)
    found = _LL.findall(str(o.get("detail") or "").removeprefix("log-likelihoods — "))
    return {"kind": "choice", "loglikelihoods": [float(v) for _, v, _ in found],
            "greedy": [bool(g) for _, _, g in found], "picked": _index(ex.get("acc"), labels) or 0,
            "picked_norm": _index(ex.get("acc_norm"), labels)}


def _code_detail(o: Json) -> Json:
    ex = o.get("extracted") or {}
    head, _, tail = str(o.get("detail") or "").partition("\n")
    m = re.match(r"^(\w+): (.*) \(([0-9.]+) s\)$", head)
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    return {"kind": "code", "code": ex.get("code") or "", "verdict": ex.get("verdict") or "error",
            "reason": m.group(2) if m else head, "seconds": float(m.group(3)) if m else 0.0,
            "error_line": lines[-1] if lines else None}


def _scenario_detail(o: Json) -> Json:
    ex = o.get("extracted") or {}
    sampling = dict(re.findall(r"(\w+)=(\S+)", str(ex.get("sampling") or "")))
    trial = str(ex.get("trial") or "greedy")

    def num(key: str, cast: Callable[[str], Any], default: Any) -> Any:
        value = sampling.get(key)
        return default if value in (None, "None") else cast(value)

    stats = None
    if ex.get("words") is not None:
        stats = {"words": int(ex["words"]), "sentences": int(ex.get("sentences") or 0),
                 "type_token_ratio": float(ex.get("type_token_ratio") or 0.0),
                 "mtld": float(ex["mtld"]) if ex.get("mtld") is not None else None}
    return {"kind": "scenario", "protocol": ex.get("protocol") or "plain",
            "trial": 0 if trial == "greedy" else int(trial.removeprefix("t")),
            "sampling": {"max_tokens": num("max_tokens", int, 0), "temperature": num("temperature", float, 0.0),
                         "top_p": num("top_p", float, 1.0), "seed": num("seed", int, None)},
            "turns": int(ex.get("turns") or 0), "stats": stats}


def upgrade_output(o: Json, suite_id: str, protocol: str) -> Json:
    ex = o.get("extracted") or {}
    out = {k: v for k, v in o.items() if k not in ("extracted", "detail")}
    explanation: str | None = o.get("detail")
    detail: Json | None = None
    if suite_id.startswith("gsm8k"):
        detail = {"kind": "numeric", "strict": ex.get("strict"), "flexible": ex.get("flexible")}
        explanation = None
    elif suite_id.startswith("humaneval") and "verdict" in ex:
        detail, explanation = _code_detail(o), None
    elif suite_id.startswith("scenario"):
        detail = _scenario_detail(o)
    elif "acc" in ex and protocol == "loglikelihood":
        detail, explanation = _choice_detail(o, suite_id), None
    elif "acc" in ex:
        detail = {"kind": "parsed_choice", "parsed": ex.get("acc"), "picked": _index(ex.get("acc"), _labels(suite_id))}
        explanation = None
    out["detail"], out["explanation"] = detail, explanation
    return out


def upgrade_sample(raw: Json, suite_id: str, protocol: str, prompt_sha: PromptSha | None = None) -> Json:
    """A v1 sample line (parsed) as a v2 one: no benchmark text, typed details, the prompt's sha256."""
    prompt = raw.get("prompt")
    exact = prompt_sha(str(raw["item_id"])) if prompt_sha else None
    legacy = sha256_text(prompt) if isinstance(prompt, str) else sha256_json(prompt)
    scenario = suite_id.startswith("scenario")
    group = _group(raw.get("group")) if not suite_id.startswith("humaneval") else None
    scores = {k: v for k, v in (raw.get("scores") or {}).items()
              if not (suite_id.startswith("humaneval") and k != "pass_rate")}
    return {"item_id": raw["item_id"], "prompt_sha256": exact or legacy,
            "prompt": prompt if scenario else None, "group": group,
            "outputs": [upgrade_output(o, suite_id, protocol) for o in raw.get("outputs", [])],
            "scores": scores, "prompt_tokens": raw.get("prompt_tokens", 0)}
