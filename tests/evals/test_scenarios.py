"""Custom scenarios: loading and validation, the tool loop and graders on real good and bad answers, code tests
in the sandbox, the judge, metrics, and runs on the real embedded model and the real llama.cpp server.

Scripted replies go through the real loop and graders with :class:`Replay`, a tiny backend defined here that
plays back fixed assistant turns (it tests the loop and the graders, not a backend). Every real-backend test
uses the embedded model or the llama.cpp server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.backends.base import (
    Backend,
    BackendInfo,
    ChatMessage,
    Completion,
    GenerateRequest,
    OnResult,
    Sampling,
    ToolCallMsg,
)
from evals.dispatch import grade_items
from evals.errors import ConfigError
from evals.records import Group, SampleRecord, ScenarioDetail, SelectionRecord
from evals.scenarios.code_tests import CodeCheck, run_code_tests
from evals.scenarios.graders import CodeTestsGrader, grade
from evals.suites import get_suite
from evals.suites.base import SelectionSpec, prompt_sha256
from evals.suites.scenario_spec import SCENARIOS_DIR, load_scenario, load_scenarios
from evals.suites.scenarios import ScenarioSuite
from tests.conftest import podium
from tests.support.servers import REPO

FIXTURES = REPO / "tests" / "fixtures" / "scenarios"
Reply = str | tuple[str, list[tuple[str, dict[str, object]]]]  # text, or (text, native tool calls)


class Replay(Backend):
    """Plays back scripted assistant turns per item (request keys are "<item id>#<turn>")."""

    def __init__(self, script: dict[str, list[Reply]], tools: bool = True) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.requests: list[GenerateRequest] = []
        self.events: list[str] = []
        self.info = BackendInfo(name="replay", engine="test script", model="replay", supports_tools=tools)

    def generate(self, requests: Sequence[GenerateRequest], on_result: OnResult | None = None) -> list[Completion]:
        out = []
        for req in requests:
            self.requests.append(req)
            item, _, turn = req.key.rpartition("#")
            reply = self.script[item][int(turn)] if int(turn) < len(self.script[item]) else "(script ended)"
            if reply == "<error>":
                out.append(Completion.failed(req, "HTTP 500 from the test script"))
                continue
            text, calls = (reply, []) if isinstance(reply, str) else reply
            msgs = tuple(ToolCallMsg(f"call_{turn}_{i}", name, json.dumps(args)) for i, (name, args) in enumerate(calls))
            out.append(Completion(req.key, (text,), ("stop",), prompt_tokens=10, completion_tokens=5,
                                  tool_calls=(msgs,) if msgs else ()))
            self.events.append(f"result {req.key}")
            if on_result:
                on_result(out[-1])
        return out


def run_items(suite: ScenarioSuite, backend: Backend, limit: int | None = 1,
              sampling: Sampling | None = None) -> dict[str, SampleRecord]:
    items = suite.select(suite.load(Path()), SelectionSpec(limit=limit))
    got: dict[str, SampleRecord] = {}

    def keep(s: SampleRecord) -> None:
        got[s.item_id] = s
        if isinstance(backend, Replay):
            backend.events.append(f"sample {s.item_id}")

    grade_items(suite, items, backend, sampling or suite.default_sampling(), keep)
    assert set(got) == {it.id for it in items}
    return got


# ------------------------------------------------------------------------------------------------ loading

SHIPPED = sorted(SCENARIOS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads(path: Path) -> None:
    ls = load_scenario(path)
    assert ls.spec.id == path.stem and ls.spec.what_is_checked and ls.spec.graders
    assert ls.spec.trials == 10 and ls.spec.greedy and ls.spec.sampling.temperature == 0.7


def test_the_five_original_tests_ship_with_both_parts_verbatim() -> None:
    specs = {s.spec.id: s.spec for s in load_scenarios()}
    originals = {sid for sid, s in specs.items() if s.origin == "original"}
    assert originals == {"math-9-11-vs-9-9", "math-composite-function", "code-tetris", "tool-factorials",
                         "tool-factorials-gcd", "json-company-info", "json-medical-entities", "writing-alps-sunrise"}
    first = {sid: next(m.content for m in specs[sid].messages if m.role == "user") for sid in originals}
    assert first["math-9-11-vs-9-9"] == "Which is larger, 9.11 or 9.9?"
    assert first["math-composite-function"] == (
        r"Given the functions \( f(x) = x^2 + 2x + 1 \) and \( g(x) = \sqrt{x} + 3 \), compute the composite "
        r"function \( f(g(x)) \), i.e., \( f(g(x)) \). Find the value of the composite function \( f(g(x)) \) "
        r"at \( x = 1 \).")
    assert first["code-tetris"] == "Write a python Tetris game"
    assert first["tool-factorials"] == "Please help me calculate the factorial of 10 and 8."
    assert first["tool-factorials-gcd"] == ("Please help me calculate the factorial of 10 and 8, and then further "
                                            "find their greatest common divisor (GCD).")
    assert first["json-company-info"].startswith("Please extract the key information from the following text")
    assert "contact information: phone 09812345678, email info@techcompany.com." in first["json-company-info"].lower()
    assert first["json-medical-entities"].endswith("the patient's condition stabilized.")
    assert first["writing-alps-sunrise"] == "Description of the sunrise scenery in the Alps"
    tools = specs["tool-factorials-gcd"].tools
    assert tools is not None and tools.protocols == ["native", "action"]
    assert '"tool_name": "Tool name (choose from [calculate_factorial, calculate_gcd, is_prime])"' in tools.instructions()
    ours = {sid for sid, s in specs.items() if s.origin == "ours"}
    assert {"math-9-8-vs-9-11", "math-3-9-vs-3-11", "tool-digit-sum-prime"} <= ours


GOOD = """id: my-check
title: A check
category: math
version: 1
origin: ours
description: d
what_is_checked: w
messages:
  - role: user
    content: What is 2 + 2?
trials: 2
graders:
  - type: numeric
    expected: 4
"""


@pytest.mark.parametrize(("text", "line", "message"), [
    (GOOD.replace("    expected: 4", "    expected: 4\n    tolerence: 0.1"), 15, "graders.0.numeric.tolerence"),
    (GOOD.replace("category: math", "category: maths"), 3, "category"),
    (GOOD.replace("trials: 2", "trials: 2\ntools:\n  functions: [calculate_gdc]"), 13, "unknown builtin tool"),
    (GOOD.replace("  - type: numeric\n    expected: 4", "  - type: tool_trace\n    calls: []"), 13, "needs tools"),
    (GOOD.replace("title: A check", "title: [unclosed"), 2, "malformed YAML"),
    (GOOD.replace("id: my-check", "id: other-name"), 1, "does not match the file name"),
])
def test_bad_scenario_files_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "my-check.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    assert f"{path}:{line}:" in str(err.value) and message in str(err.value)


@pytest.mark.slow
def test_bad_scenario_through_the_real_cli(tmp_path: Path) -> None:
    (tmp_path / "my-check.yaml").write_text(GOOD.replace("    expected: 4", "    expected: 4\n    tolerence: 0.1"))
    r = podium("run", "--suite", "scenario:my-check", "--scenarios-dir", str(tmp_path), "--site-data", str(tmp_path))
    assert r.returncode == 2 and f"{tmp_path / 'my-check.yaml'}:15: field 'graders.0.numeric.tolerence'" in r.stderr
    r = podium("run", "--suite", "scenarios", "--site-data", str(tmp_path), env={"PODIUM_SCENARIOS_DIR": str(tmp_path)})
    assert r.returncode == 2 and "my-check.yaml:15:" in r.stderr
    r = podium("run", "--suite", "scenario:nope", "--scenarios-dir", str(tmp_path), "--site-data", str(tmp_path))
    assert r.returncode == 2 and "unknown scenario 'nope'" in r.stderr
    r = podium("run", "--suite", "gsm8k", "--judge-model", "gpt-4o", "--site-data", str(tmp_path))
    assert r.returncode == 2 and "applies only to scenario suites" in r.stderr


def test_suite_ids_items_limit_and_version(tmp_path: Path) -> None:
    one = get_suite("scenario:tool-factorials-gcd")
    assert one.info.id == "scenario-tool-factorials-gcd" and get_suite("scenario-tool-factorials-gcd").info.id == one.info.id
    items = one.load(Path())
    assert [it.id for it in items[:2]] == ["tool-factorials-gcd/native/greedy", "tool-factorials-gcd/native/t01"]
    assert len(items) == 22 and one.data_files(Path()) == []
    picked = one.first_n(items, 2)
    assert [it.id for it in picked] == ["tool-factorials-gcd/native/greedy", "tool-factorials-gcd/native/t01",
                                        "tool-factorials-gcd/action/greedy", "tool-factorials-gcd/action/t01"]
    rec = one.record("x", items, one.selection_record(SelectionSpec(limit=2)))
    assert rec.scenarios[0].protocols == ["native", "action"] and rec.scenarios[0].origin == "original"
    (tmp_path / "my-check.yaml").write_text(GOOD)
    v1 = ScenarioSuite(scenarios_dir=tmp_path).record("x", [], SelectionRecord(kind="full")).version
    (tmp_path / "my-check.yaml").write_text(GOOD.replace("expected: 4", "expected: 4.0"))
    assert ScenarioSuite(scenarios_dir=tmp_path).record("x", [], SelectionRecord(kind="full")).version != v1  # the YAML text is hashed
    assert get_suite("scenarios").info.id == "scenarios"


def test_sampling_greedy_trial_seeds_and_run_overrides() -> None:
    suite = ScenarioSuite("code-tetris")
    spec = suite.loaded["code-tetris"].spec
    default = suite.default_sampling()
    greedy, t3 = suite.trial_sampling(spec, "greedy", default), suite.trial_sampling(spec, "t03", default)
    assert (greedy.temperature, greedy.max_tokens, t3.temperature, t3.seed, t3.max_tokens) == (0.0, 3072, 0.7, 3, 3072)
    capped = suite.trial_sampling(spec, "t03", Sampling(max_tokens=64, temperature=0.7, seed=100))
    assert (capped.max_tokens, capped.seed) == (64, 103)


# ---------------------------------------------------------------------------- tool loop + graders, scripted

GCD = "tool-factorials-gcd"
ACTION_FACTORIALS = """Action:
'''
[
    {"tool_name": "calculate_factorial", "parameters": {"n": 10}},
    {"tool_name": "calculate_factorial", "parameters": {"n": 8}}
]
'''"""
ACTION_GCD = 'Action:\n\'\'\'\n[{"tool_name": "calculate_gcd", "parameters": "3628800, 40320"}]\n\'\'\''
ACTION_ALL_AT_ONCE = """Action:
'''
[
    {"tool_name": "calculate_factorial", "parameters": "10"},
    {"tool_name": "calculate_factorial", "parameters": "8"},
    {"tool_name": "calculate_gcd", "parameters": {"a": "factorial(10)", "b": "factorial(8)"}}
]
'''"""


def test_native_tool_loop_good_answer_passes() -> None:
    backend = Replay({f"{GCD}/native/greedy": [
        ("", [("calculate_factorial", {"n": 10}), ("calculate_factorial", {"n": 8})]),
        ("", [("calculate_gcd", {"a": 3628800, "b": 40320})]),
        "10! = 3628800 and 8! = 40320, so their GCD is **40320**."],
        f"{GCD}/action/greedy": ["I cannot use tools."]})
    rec = run_items(ScenarioSuite(GCD), backend)[f"{GCD}/native/greedy"]
    out = rec.outputs[0]
    assert rec.scores["pass"] == 1.0 and out.grades[0].passed and "4/4 expectations met" in out.grades[0].explanation
    assert [t.role for t in out.transcript or []] == ["assistant", "tool", "tool", "assistant", "tool", "assistant"]
    tool_turns = [t for t in out.transcript or [] if t.role == "tool"]
    assert [t.content for t in tool_turns] == ["3628800", "40320", "40320"]
    assert out.transcript and out.transcript[0].tool_calls[1].arguments == '{"n": 8}'
    second = next(r for r in backend.requests if r.key == f"{GCD}/native/greedy#1")
    assert second.tools and [m.role for m in second.prompt] == ["user", "assistant", "tool", "tool"]  # type: ignore[union-attr]
    assert isinstance(second.prompt, tuple) and second.prompt[2] == ChatMessage("tool", "3628800", tool_call_id="call_0_0")
    assert [c.name for t in out.transcript or [] for c in t.tool_calls] == [
        "calculate_factorial", "calculate_factorial", "calculate_gcd"]
    assert isinstance(out.detail, ScenarioDetail) and out.detail.protocol == "native" and out.detail.trial == 0
    assert rec.prompt_tokens == 30 and out.tokens == 15


def test_gcd_called_with_the_wrong_arguments_fails() -> None:
    backend = Replay({f"{GCD}/native/greedy": [
        ("", [("calculate_factorial", {"n": 10}), ("calculate_factorial", {"n": 8})]),
        ("", [("calculate_gcd", {"a": 10, "b": 8})]),
        "The GCD of the two factorials is 2."],
        f"{GCD}/action/greedy": [ACTION_ALL_AT_ONCE, "The greatest common divisor is 40320."]})
    got = run_items(ScenarioSuite(GCD), backend)
    native = got[f"{GCD}/native/greedy"].outputs[0]
    assert native.scores["pass"] == 0.0 and native.scores["score"] == pytest.approx(0.5)
    assert "calculate_gcd called with (10, 8), expected (3628800, 40320)" in native.grades[0].explanation
    assert "final answer: extracted 2 from the last number — wrong, expected 40320" in native.grades[0].explanation
    # the original test's failure: gcd asked with placeholders instead of the factorial results
    action = got[f"{GCD}/action/greedy"].outputs[0]
    assert action.scores["pass"] == 0.0 and action.scores["score"] == pytest.approx(0.75)
    assert "calculate_gcd called with ('factorial(10)', 'factorial(8)')" in action.grades[0].explanation
    feedback = (action.transcript or [])[1]
    assert feedback.role == "user" and feedback.name == "tool_results"
    assert "calculate_factorial(10) → 3628800" in feedback.content and "Error: invalid arguments" in feedback.content


def test_action_protocol_multi_turn_good_answer_passes() -> None:
    backend = Replay({f"{GCD}/native/greedy": ["no tools"],
                      f"{GCD}/action/greedy": [ACTION_FACTORIALS, ACTION_GCD, "The answer is 40320."]})
    got = run_items(ScenarioSuite(GCD), backend)
    out = got[f"{GCD}/action/greedy"].outputs[0]
    assert out.scores["pass"] == 1.0, out.explanation
    first = next(r for r in backend.requests if r.key == f"{GCD}/action/greedy#0")
    assert not first.tools and isinstance(first.prompt, tuple)
    assert first.prompt[0].content.startswith('Write "Action:", followed by the list of actions')
    assert first.prompt[0].content.endswith("greatest common divisor (GCD).")
    assert [t.name for t in out.transcript or []] == [None, "tool_results", None, "tool_results", None]
    assert (out.transcript or [])[2].tool_calls[0].arguments == '{"a": 3628800, "b": 40320}'
    assert got[f"{GCD}/native/greedy"].scores["pass"] == 0.0


def test_loop_stops_after_max_turns_and_errors_are_data() -> None:
    calling: list[Reply] = [("", [("calculate_factorial", {"n": 3})])] * 9
    backend = Replay({f"{GCD}/native/greedy": calling, f"{GCD}/action/greedy": ["<error>"]})
    got = run_items(ScenarioSuite(GCD), backend)
    out = got[f"{GCD}/native/greedy"].outputs[0]
    assert sum(1 for r in backend.requests if r.key.startswith(f"{GCD}/native")) == 5
    assert "stopped: still calling tools after 5 replies" in (out.explanation or "")
    failed = got[f"{GCD}/action/greedy"]
    assert failed.outputs[0].error == "HTTP 500 from the test script" and failed.scores == {"pass": 0.0, "score": 0.0}


def test_cheap_items_are_journaled_as_they_finish_costly_ones_after_the_batch() -> None:
    math = Replay({f"math-9-11-vs-9-9/plain/{t}": ["9.9 is larger."] for t in ("greedy", "t01")})
    run_items(ScenarioSuite("math-9-11-vs-9-9"), math, limit=2)
    assert math.events == ["result math-9-11-vs-9-9/plain/greedy#0", "sample math-9-11-vs-9-9/plain/greedy",
                           "result math-9-11-vs-9-9/plain/t01#0", "sample math-9-11-vs-9-9/plain/t01"]
    code = Replay({f"code-tetris/plain/{t}": ["no code"] for t in ("greedy", "t01")})
    run_items(ScenarioSuite("code-tetris"), code, limit=2)  # code_tests: one sandbox pool per batch
    assert [e.split()[0] for e in code.events] == ["result", "result", "sample", "sample"]


def test_native_protocol_needs_a_backend_with_tools() -> None:
    from evals.errors import Unsupported

    with pytest.raises(Unsupported, match="native tool calling"):
        ScenarioSuite(GCD).check_backend(Replay({}, tools=False))


def test_followups_continue_the_conversation() -> None:
    sid = "math-9-9-pushback"
    steady = Replay({f"{sid}/plain/greedy": ["9.9 is larger than 9.11.", "Yes, I am sure: 9.9 > 9.11."]})
    rec = run_items(ScenarioSuite(sid), steady)[f"{sid}/plain/greedy"]
    assert rec.scores["pass"] == 1.0
    turns = rec.outputs[0].transcript or []
    assert [t.role for t in turns] == ["assistant", "user", "assistant"] and "Are you sure?" in turns[1].content
    caved = Replay({f"{sid}/plain/greedy": ["9.9 is larger.", "You are right, 9.11 is larger than 9.9."]})
    assert run_items(ScenarioSuite(sid), caved)[f"{sid}/plain/greedy"].scores["pass"] == 0.0


@pytest.mark.parametrize(("sid", "reply", "passed"), [
    ("math-9-11-vs-9-9", "9.11 has more digits, but 9.9 is larger because 0.90 > 0.11.", True),
    ("math-9-11-vs-9-9", "9.11 is larger than 9.9 since 11 > 9.", False),
    ("math-composite-function", r"g(1) = 4 and f(4) = 16 + 8 + 1, so $f(g(1)) = \boxed{25}$.", True),
    ("math-composite-function", r"f(g(x)) = x + 8\sqrt{x} + 16, so at x = 1 the value is 24.", False),
    ("json-company-info", (FIXTURES / "company_good.txt").read_text(), True),
    ("json-company-info", (FIXTURES / "company_good.txt").read_text().replace("70%", "7%"), False),
    ("json-medical-entities", (FIXTURES / "medical_good.txt").read_text(), True),
    ("json-medical-entities", '{"entities": ["diabetes", "metformin", "aspirin"]}', False),
    ("tool-factorials", "The factorial of 10 is 3,628,800 and the factorial of 8 is 40,320.", False),  # no calls
])
def test_graders_on_real_answers(sid: str, reply: str, passed: bool) -> None:
    rec = run_items(ScenarioSuite(sid), Replay({f"{sid}/plain/greedy": [reply], f"{sid}/native/greedy": [reply],
                                                f"{sid}/action/greedy": [reply]}))
    for r in rec.values():
        assert r.scores["pass"] == float(passed), r.outputs[0].explanation


def test_rubric_without_a_judge_is_ungraded_and_left_out() -> None:
    sid = "writing-alps-sunrise"
    text = (FIXTURES / "alps_sunrise.txt").read_text()
    suite = ScenarioSuite(sid)
    got = run_items(suite, Replay({f"{sid}/plain/{t}": [text] for t in ("greedy", "t01", "t02")}), limit=3)
    rec = got[f"{sid}/plain/greedy"]
    assert "pass" not in rec.scores and rec.scores["ungraded"] == 1.0
    grade_rec = rec.outputs[0].grades[0]
    assert grade_rec.score is None and grade_rec.passed is None and "no judge configured" in grade_rec.explanation
    detail = rec.outputs[0].detail
    assert isinstance(detail, ScenarioDetail) and detail.stats and detail.stats.words > 100 and detail.stats.mtld
    metrics = suite.metrics(list(got.values()))
    assert not [m for m in metrics if m.name == "success_rate"]  # nothing graded: no rate, never a guess
    ungraded = next(m for m in metrics if m.name == "ungraded" and m.group == Group(kind="scenario", id=sid))
    assert (ungraded.value, ungraded.n) == (1.0, 3)
    assert next(m for m in metrics if m.name == "words").value > 100


def test_metrics_per_scenario_protocol_category_with_wilson() -> None:
    script: dict[str, list[Reply]] = {}
    for t in ("greedy", "t01", "t02", "t03"):
        script[f"{GCD}/native/{t}"] = [("", [("calculate_factorial", {"n": 10}), ("calculate_factorial", {"n": 8})]),
                                       ("", [("calculate_gcd", {"a": 40320, "b": 3628800})]), "40320"]
        script[f"{GCD}/action/{t}"] = ([ACTION_FACTORIALS, ACTION_GCD, "The answer is 40320."] if t == "greedy" else
                                       [ACTION_ALL_AT_ONCE, "The answer is 40320."])  # placeholders, no retry
    suite = ScenarioSuite(GCD)
    got = run_items(suite, Replay(script), limit=4)
    metrics = {(m.name, m.variant, str(m.group) if m.group else None): m for m in suite.metrics(list(got.values()))}
    overall = metrics[("success_rate", "pass", None)]
    assert (overall.value, overall.n) == (5 / 8, 8) and overall.ci_method == "wilson" and overall.ci_low > 0.2
    assert metrics[("success_rate", "native", f"scenario {GCD}")].value == 1.0
    assert metrics[("success_rate", "action", f"scenario {GCD}")].value == 0.25
    assert metrics[("success_rate", "pass", "category tool_use")].n == 8
    per_grader = metrics[("grader_score", "tool_trace", f"scenario {GCD}")]
    assert per_grader.n == 8 and per_grader.position == 1


# ------------------------------------------------------------------------------------- code tests (sandbox)

TETRIS_CHECKS = load_scenario(SCENARIOS_DIR / "code-tetris.yaml").spec.graders[0]


@pytest.mark.slow
@pytest.mark.parametrize(("fixture", "score"), [
    ("tetris_good.py", 1.0), ("tetris_tim_style.py", 1.0), ("tetris_figure_style.py", 1.0),
    ("tetris_broken.py", 1 / 6),
])
def test_tetris_code_tests_run_headless(fixture: str, score: float) -> None:
    assert isinstance(TETRIS_CHECKS, CodeTestsGrader)
    code = (FIXTURES / fixture).read_text()
    result = run_code_tests(TETRIS_CHECKS, f"Here is the game:\n\n```python\n{code}\n```\n\nRun: pip install pygame")
    assert result.score == pytest.approx(score, abs=1e-6), result.explanation
    assert result.passed is (score >= 0.8)
    if score < 1:
        assert "line_clear: failed" in result.explanation and "seven_tetrominoes: failed" in result.explanation


@pytest.mark.slow
def test_code_tests_without_code_and_with_partial_credit() -> None:
    cfg = CodeTestsGrader(checks=[CodeCheck(name="adds", code="assert solution.add(2, 3) == 5"),
                                  CodeCheck(name="subtracts", code="assert solution.sub(5, 3) == 2")])
    assert run_code_tests(cfg, "I would rather not write code.").explanation == "no Python code found in the output"
    half = run_code_tests(cfg, "```python\ndef add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a + b\n```")
    assert half.score == 0.5 and not half.passed and "subtracts: failed" in half.explanation
    with pytest.raises(Exception, match="needs a runner|not pure"):
        grade(cfg, "x")


# ------------------------------------------------------------------------------------ real backends

def test_rubric_with_the_embedded_model_as_judge(embedded: Backend) -> None:
    sid = "writing-alps-sunrise"
    suite = ScenarioSuite(sid, judge=embedded, judge_max_tokens=40)
    rec = run_items(suite, Replay({f"{sid}/plain/greedy": [(FIXTURES / "alps_sunrise.txt").read_text()]}))
    g = rec[f"{sid}/plain/greedy"].outputs[0].grades[0]
    assert g.judge_model == f"embedded:{embedded.info.model}" and g.judge_raw  # whatever it says, recorded
    assert (g.score is None) == (g.passed is None)
    assert g.explanation.startswith("judge score") or g.explanation.startswith("ungraded:")
    assert suite.grader_config().judge == g.judge_model


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["embedded", "openai"])
def test_tool_scenario_on_real_backends(backend_kind: str, request: pytest.FixtureRequest, site_data: Path,
                                       tmp_path: Path) -> None:
    """Both protocols, --limit 1, on the embedded model and on the llama.cpp server (OpenAI-compatible)."""
    from evals.runner import RunOptions, run_suite
    from evals.store import load_model, read_samples

    if backend_kind == "embedded":
        backend: Backend = request.getfixturevalue("embedded")
    else:
        from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig

        backend = OpenAICompatBackend(OpenAIConfig(model="smollm2", base_url=request.getfixturevalue("server_url")))
    suite = ScenarioSuite(GCD)
    opts = RunOptions(out=site_data, data_dir=tmp_path, command="test", selection=SelectionSpec(limit=1), cache_dir=tmp_path / "cache",
                      sampling=Sampling(max_tokens=40, temperature=0.7, seed=0))
    result = run_suite(suite, backend, load_model(site_data, "smollm2-135m-instruct"), opts)
    samples = read_samples(result.paths.samples)
    assert [s.item_id for s in samples] == [f"{GCD}/native/greedy", f"{GCD}/action/greedy"]
    for s in samples:
        out = s.outputs[0]
        assert out.error is None and out.transcript and out.transcript[0].role == "assistant"
        assert out.grades[0].grader == "tool_trace" and 0 <= (out.grades[0].score or 0) <= 1
        assert isinstance(out.detail, ScenarioDetail)
        sampling = out.detail.sampling
        assert (sampling.temperature, sampling.top_p, sampling.seed, sampling.max_tokens) == (0.0, 1.0, 0, 40)
        assert s.prompt and s.prompt_sha256 == prompt_sha256([t.model_dump() for t in s.prompt])  # type: ignore[union-attr]
    assert result.run.suite.scenarios[0].id == GCD and result.run.main() is not None
    if backend_kind == "openai":
        backend.close()
