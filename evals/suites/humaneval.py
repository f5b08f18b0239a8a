"""HumanEval (164 problems) with repeated sampling and the unbiased pass@k estimator.

Two protocols, recorded in the run:
- ``completion`` (base models): the prompt is the function signature + docstring; the model continues it,
  stopped at the Codex paper's stop sequences; program = prompt + completion + test + ``check(entry_point)``.
- ``chat`` (instruct models): the model is asked for the complete function in a ```python block; the block is
  extracted (the one defining the entry point, else the first) and run with the prompt's imports.

``--samples N`` draws N samples per problem (native ``n`` where the backend has it, distinct seeds otherwise),
requested in chunks of 25 with deterministic per-chunk seeds, so the completion cache resumes a killed run per
chunk. Every candidate runs in :mod:`evals.sandbox` and is judged by the benchmark's tests in the trusted judge
(:mod:`evals.sandbox.judge`: the tests never run in the sandbox, values cross as plain data only); the judge and
the limits are part of the grader configuration (and so of the suite version). pass@k for k = 1, 2, 5, 10, 20,
50, 100, … ≤ N with 95% bootstrap CIs over problems.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from evals.backends.base import ChatMessage, Completion, GenerateRequest, Sampling
from evals.data import require_file
from evals.grader_records import CodeGrader, SandboxLimitsRecord
from evals.grading.extract import code_blocks
from evals.grading.passk import bootstrap_ci, ks_for, pass_at_k
from evals.records import CodeDetail, ItemText, MetricRef, MetricValue, OutputRecord, SampleRecord
from evals.sandbox import (
    DEFAULT_LIMITS,
    GUARD_VERSION,
    ExecResult,
    JudgedProgram,
    Limits,
    TrustedTests,
    humaneval_judged,
)
from evals.suites.base import Item, Suite, SuiteInfo
from evals.suites.requests import Judged, JudgedCode, Output, Request

STOP = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")  # Chen et al. (2021)
CHUNK = 25
JUDGE = "trusted: prompt helpers + test + check in the harness; candidate in the sandbox, plain data only"
CHAT_TEMPLATE = ("Complete the following Python function. Reply with the complete function (signature, body and "
                 "any imports it needs) in one ```python code block.\n\n```python\n{prompt}```")


def chat_program_code(prompt: str, text: str, entry_point: str) -> str:
    """The code to run for a chat reply: the block defining the entry point, plus the prompt's imports."""
    blocks = code_blocks(text, "python") or code_blocks(text)
    code = next((b for b in blocks if f"def {entry_point}" in b), blocks[0] if blocks else text)
    imports = "".join(line + "\n" for line in prompt.splitlines() if line.startswith(("import ", "from ")))
    return imports + code if f"def {entry_point}" in code else prompt + code


class HumanEval(Suite):
    variants: ClassVar[Mapping[str, Mapping[str, object]]] = {"chat": {"protocol": "chat"},
                                                              "completion": {"protocol": "completion"}}

    def __init__(self, protocol: str = "completion", limits: Limits = DEFAULT_LIMITS) -> None:
        if protocol not in ("completion", "chat"):
            raise ValueError(protocol)
        self.style = protocol
        self.limits = limits
        chat = protocol == "chat"
        self.info = SuiteInfo(
            id="humaneval-chat" if chat else "humaneval",
            display_name="HumanEval (chat)" if chat else "HumanEval",
            description=("164 hand-written Python problems; functional correctness in a hardened sandbox; unbiased "
                         "pass@k over repeated samples. " + ("Chat protocol: the complete function is asked for "
                                                             "and extracted from a code block." if chat else
                                                             "Completion protocol: the model continues the prompt.")),
            protocol="generative", shots=0, split="test", main_metric=MetricRef(name="pass@k", variant=protocol, k=1),
            base="humaneval", variant="chat" if chat else None, intended_for="chat" if chat else "base",
            files=("humaneval/HumanEval.jsonl.gz",),
            metric_help={protocol: "pass@k = 1 − C(n−c, k)/C(n, k) per problem, averaged; 95% bootstrap CI"},
        )

    def load(self, data_dir: Path) -> list[Item]:
        with gzip.open(require_file(data_dir, self.info.files[0]), "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return [Item(id=r["task_id"].replace("/", "-"), reference=r["canonical_solution"],
                     fields={"task_id": r["task_id"], "prompt": r["prompt"], "test": r["test"],
                             "entry_point": r["entry_point"]}) for r in rows]

    def default_sampling(self) -> Sampling:
        return Sampling(max_tokens=512, temperature=0.0, top_p=1.0, n=1,
                        stop=STOP if self.style == "completion" else (), seed=0)

    def requests(self, item: Item, sampling: Sampling) -> list[Request]:
        prompt: str | tuple[ChatMessage, ...] = item.fields["prompt"]
        if self.style == "chat":
            prompt = (ChatMessage("user", CHAT_TEMPLATE.format(prompt=item.fields["prompt"])),)
        out: list[Request] = []
        for start in range(0, sampling.n, CHUNK):
            size = min(CHUNK, sampling.n - start)
            seed = None if sampling.seed is None else sampling.seed + start
            req = GenerateRequest(f"{item.id}#{start}", prompt, dataclasses.replace(sampling, n=size, seed=seed))
            out.append(JudgedCode(req, functools.partial(self._judged, item), self.limits))
        return out

    def _judged(self, item: Item, text: str) -> JudgedProgram:
        return self.program(item, text)[1]

    def program(self, item: Item, text: str) -> tuple[str, JudgedProgram]:
        """(code shown as the model's solution, what runs: the candidate in the sandbox, the tests in the judge).

        The judge runs the benchmark's ``test`` and ``check`` with the prompt's own definitions (helpers such
        as ``poly``), the candidate's entry point bound to a proxy into the sandbox (:mod:`evals.sandbox.judge`)."""
        f = item.fields
        if self.style == "chat":
            code = chat_program_code(f["prompt"], text, f["entry_point"])
            return code, JudgedProgram(code, TrustedTests(f["prompt"], f["test"], f["entry_point"]))
        return text, humaneval_judged(f["prompt"], text, f["test"], f["entry_point"])

    def score(self, item: Item, outputs: Sequence[Output]) -> SampleRecord:
        """Each sample's verdict (run in the sandbox by the runner) → pass; pass rate over the samples."""
        judged = [o for o in outputs if isinstance(o, Judged)]
        outs = [self._output(j.completion, k, self.program(item, text)[0], res) for j in judged
                for k, (text, res) in enumerate(zip(j.completion.texts, j.verdicts, strict=True))]
        c = sum(o.scores["pass"] for o in outs)
        return SampleRecord(
            item_id=item.id, prompt_sha256=self.prompt_sha256(item), outputs=outs,
            prompt_tokens=sum(j.completion.prompt_tokens for j in judged),
            scores={"pass_rate": c / len(outs) if outs else 0.0})

    def item_text(self, item: Item) -> ItemText:
        return ItemText(item_id=item.id, question=item.fields["prompt"], reference=item.reference)

    @staticmethod
    def _output(comp: Completion, j: int, code: str, res: ExecResult) -> OutputRecord:
        if comp.error:
            return OutputRecord(text="", finish="error", error=comp.error, scores={"pass": 0.0},
                                explanation="request failed")
        # the candidate's own last error line, else the judge's reason (the test ran outside the sandbox)
        tail = res.stderr_tail.strip().splitlines()[-6:]
        error_line = next((ln for ln in reversed(tail) if ln.strip()), res.reason) if not res.passed else None
        return OutputRecord(
            text=comp.texts[j], finish=comp.finish[j], tokens=comp.completion_tokens // max(1, len(comp.texts)),
            scores={"pass": float(res.passed)},
            # only the last line of the log (the exception): traceback source lines would quote the benchmark's tests
            detail=CodeDetail(code=code, verdict=res.verdict.value, reason=res.reason, error_line=error_line,
                              seconds=round(res.seconds, 4)))

    def metrics(self, samples: Sequence[SampleRecord]) -> list[MetricValue]:
        counts = [(len(s.outputs), int(sum(o.scores.get("pass", 0.0) for o in s.outputs))) for s in samples]
        if not counts:
            return []
        n_min = min(n for n, _ in counts)
        out = []
        for k in ks_for(n_min):
            per = [pass_at_k(n, c, k) for n, c in counts]
            lo, hi = bootstrap_ci(per, seed=0)
            out.append(MetricValue(name="pass@k", k=k, variant=self.style, value=sum(per) / len(per), n=len(per),
                                   ci_low=lo, ci_high=hi, ci_method="bootstrap"))
        return out

    def template(self) -> str:
        return "{prompt}" if self.style == "completion" else CHAT_TEMPLATE

    def grader_config(self) -> CodeGrader:
        return CodeGrader(program="prompt+completion+test+check(entry_point)" if self.style == "completion"
                          else "imports+extracted code+test+check(entry_point)", judge=JUDGE, stop=list(STOP),
                          chunk=CHUNK, limits=SandboxLimitsRecord(**dataclasses.asdict(self.limits)),
                          guard=GUARD_VERSION)
