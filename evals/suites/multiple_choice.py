"""Shared machinery of multiple-choice suites: loglikelihood scoring (acc, acc_norm) as lm-evaluation-harness
does it, and a generative variant (ask for the letter, parse it) for chat-only backends.

Loglikelihood protocol: every choice is a (context, continuation) pair; the model's pick is the choice with
the highest summed log-probability (``acc``) or the highest log-probability per character of the choice text
(``acc_norm``, lm-eval's length normalisation: ``len(choice)``, characters of the choice without the
leading space). Ties go to the lowest index (numpy argmax).
"""

from __future__ import annotations

import abc
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Literal

from evals.backends.base import (
    Backend,
    ChatMessage,
    Completion,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    Sampling,
)
from evals.errors import Unsupported
from evals.grading.extract import choice_letter
from evals.grading.stats import proportion
from evals.records import (
    ChoiceDetail,
    ItemText,
    MetricRef,
    MetricValue,
    OutputRecord,
    ParsedChoiceDetail,
    ResponseBias,
    SampleRecord,
)
from evals.suites.base import Baselines, Item, Suite, SuiteInfo, prompt_sha256
from evals.suites.requests import Generate, LogLikelihood, Output, Request

LETTERS = "ABCDEFGHIJ"
MCProtocol = Literal["loglikelihood", "generative"]


@dataclass(frozen=True)
class MCItem(Item):
    contexts: tuple[str, ...] = ()  # one per choice (Winogrande) or the same for all
    continuations: tuple[str, ...] = ()  # scored text, leading space included
    gold: int = 0
    question: str = ""  # zero-shot question text shown in the gallery and used by the generative variant
    prefix: str = ""  # leading part of every context shared with other items (few-shot block), reused by backends

    def requests(self) -> list[LoglikelihoodRequest]:
        """One log-likelihood request per choice, keyed ``<item id>#<choice index>``, in choice order."""
        return [LoglikelihoodRequest(f"{self.id}#{k}", ctx, cont, self.prefix)
                for k, (ctx, cont) in enumerate(zip(self.contexts, self.continuations, strict=True))]


def _picked(out: OutputRecord) -> int | None:
    d = out.detail
    return d.picked if isinstance(d, ChoiceDetail | ParsedChoiceDetail) else None


def argmax(values: Sequence[float]) -> int:
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


class MultipleChoiceSuite(Suite):
    """Subclasses provide ``load`` (→ MCItem) and metadata; protocol chosen at construction."""

    norm_metric: bool = False  # report acc_norm too (HellaSwag)
    variants: ClassVar[Mapping[str, Mapping[str, object]]] = {"generative": {"protocol": "generative"}}  # chat-only APIs

    base_info: SuiteInfo  # the loglikelihood protocol's metadata; the generative variant is derived from it

    def __init__(self, protocol: MCProtocol = "loglikelihood") -> None:
        self.protocol = protocol
        b = self.base_info
        if protocol == "loglikelihood":
            self.info = b
        else:
            self.info = replace(b, id=f"{b.id}-generative", display_name=f"{b.display_name} (generative)",
                                protocol="generative", shots=0, main_metric=MetricRef(name="acc", variant="generative"),
                                base=b.id, variant="generative",
                                description=b.description + " Generative variant for chat-only backends: the "
                                "model is asked for the letter, which is parsed from its reply.")

    def default_sampling(self) -> Sampling:
        return Sampling(max_tokens=16 if self.protocol == "generative" else 1, temperature=0.0, seed=0)

    def check_backend(self, backend: Backend) -> None:
        if self.protocol == "loglikelihood" and not backend.can_loglikelihood():
            raise Unsupported(
                f"backend '{backend.info.name}' ({backend.info.model}) gives no prompt log-probabilities, so "
                f"{self.info.id} cannot be scored by loglikelihood",
                where="--backend", fix=f"use --suite {self.info.id}:generative (asks for the letter and parses it)")

    # ---------------------------------------------------------------- requests and scores
    def requests(self, item: Item, sampling: Sampling) -> list[Request]:
        assert isinstance(item, MCItem)
        if self.protocol == "generative":
            return [Generate(GenerateRequest(item.id, (ChatMessage("user", self.generative_prompt(item)),),
                                             sampling))]
        return [LogLikelihood(r) for r in item.requests()]

    def score(self, item: Item, outputs: Sequence[Output]) -> SampleRecord:
        assert isinstance(item, MCItem)
        lls = [o for o in outputs if isinstance(o, Loglikelihood)]
        if not lls:
            comp = outputs[0]
            assert isinstance(comp, Completion)
            return self._grade_reply(item, comp)
        rec = self._grade_ll(item, [r.logprob for r in lls], [r.is_greedy for r in lls],
                             [r.error for r in lls if r.error])
        return rec.model_copy(update={"prompt_tokens": sum(r.prompt_tokens for r in lls),
                                      "prompt_tokens_cached": sum(r.cached_tokens for r in lls)})

    def _grade_ll(self, it: MCItem, raw: Sequence[float | None], greedy: list[bool],
                  errors: list[str | None]) -> SampleRecord:
        """Picks by log-likelihood; an item with a failed choice request (null or NaN) scores 0 — a failure is
        kept as data, never graded as if the other choices were all there were."""
        lls: list[float | None] = [None if v is None or math.isnan(v) else v for v in raw]
        failed = bool([e for e in errors if e]) or None in lls
        known = [v if v is not None else -math.inf for v in lls]
        pick = argmax(known)
        # lm-eval's len(choice): the choice as preprocessed (HellaSwag keeps a leading space where a "[substeps]"
        # tag was removed), without the target delimiter " " that starts the continuation
        choice_texts = list(it.choices) if it.choices else [c.removeprefix(" ") for c in it.continuations]
        scores = {"acc": 0.0 if failed else float(pick == it.gold)}
        pick_n: int | None = None
        if self.norm_metric:
            norm = [ll / max(1, len(t)) for ll, t in zip(known, choice_texts, strict=True)]
            pick_n = argmax(norm)
            scores["acc_norm"] = 0.0 if failed else float(pick_n == it.gold)
        detail = ChoiceDetail(loglikelihoods=lls, greedy=list(greedy), picked=pick,
                              picked_norm=pick_n)
        why = "; ".join(e for e in errors if e) or ("a choice's log-likelihood request failed" if failed else None)
        out = OutputRecord(text=self.label(pick), finish="error" if failed else "stop", scores=scores,
                           detail=detail, error=why)
        return SampleRecord(item_id=it.id, prompt_sha256=self.prompt_sha256(it), group=it.group, outputs=[out],
                            scores=scores)

    def prompt_sha256(self, item: Item) -> str:
        if self.protocol == "generative":  # the question's text (what the one user message says)
            assert isinstance(item, MCItem)
            return prompt_sha256(self.generative_prompt(item))
        return super().prompt_sha256(item)

    def item_text(self, item: Item) -> ItemText:
        assert isinstance(item, MCItem)
        return ItemText(item_id=item.id, question=item.question, choices=list(item.choices),
                        reference=self.label(item.gold), gold=item.gold)

    def label(self, k: int) -> str:
        return LETTERS[k]

    def baselines(self, items: Sequence[Item]) -> Baselines:
        mc = [it for it in items if isinstance(it, MCItem)]
        if not mc:
            return Baselines()
        chance = sum(1 / max(1, len(it.continuations)) for it in mc) / len(mc)
        counts = Counter(it.gold for it in mc)
        top, k = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
        return Baselines(chance=chance, majority=k / len(mc), majority_label=self.label(top))

    def response_bias(self, samples: Sequence[SampleRecord]) -> ResponseBias | None:
        picks = [p for s in samples for o in s.outputs[:1] if not o.error and (p := _picked(o)) is not None]
        if not picks:
            return None
        counts = Counter(picks)
        top, k = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
        labels = [self.label(i) for i in range(2)] if max(picks) < 2 else []
        yes = counts.get(labels.index("yes"), 0) / len(picks) if "yes" in labels else None
        return ResponseBias(label=self.label(top), share=k / len(picks), yes_share=yes, n=len(picks))

    # ---------------------------------------------------------------- generative variant
    def generative_prompt(self, it: MCItem) -> str:
        opts = "\n".join(f"{LETTERS[k]}. {c}" for k, c in enumerate(it.choices))
        letters = ", ".join(LETTERS[: len(it.choices)])
        return (f"{it.question}\n{opts}\n\nAnswer with the letter of the correct option ({letters}) only.")

    def _grade_reply(self, it: MCItem, c: Completion) -> SampleRecord:
        picked = self.parse_choice(c.texts[0], it) if not c.error else None
        score = float(picked == it.gold)
        parsed = self.label(picked) if picked is not None else None
        out = OutputRecord(text=c.texts[0], finish=c.finish[0], tokens=c.completion_tokens, scores={"acc": score},
                           error=c.error, detail=ParsedChoiceDetail(parsed=parsed, picked=picked))
        return SampleRecord(item_id=it.id, prompt_sha256=self.prompt_sha256(it), group=it.group, outputs=[out],
                            scores={"acc": score}, prompt_tokens=c.prompt_tokens, prompt_tokens_cached=c.cached_tokens)

    def parse_choice(self, text: str, it: MCItem) -> int | None:
        """Index of the choice a generative reply names, or None (letters A–J; BoolQ overrides: yes/no)."""
        letter = choice_letter(text, LETTERS[: len(it.choices)])
        return LETTERS.index(letter) if letter else None

    # ---------------------------------------------------------------- metrics
    def metric_names(self) -> list[str]:
        return ["acc", "acc_norm"] if self.norm_metric and self.protocol == "loglikelihood" else ["acc"]

    def metrics(self, samples: Sequence[SampleRecord]) -> list[MetricValue]:
        out = []
        for name in self.metric_names():
            out.append(proportion(name, self.protocol, [s.scores.get(name, 0.0) for s in samples]))
        return out

    @abc.abstractmethod
    def template(self) -> str: ...
