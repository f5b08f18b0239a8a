"""Cheap, measured facts about a piece of writing (creative-writing scenarios): counts and lexical diversity.

All functions are pure. Words are letter runs with inner apostrophes/hyphens ("don't", "well-known") or
numbers; comparisons are case-insensitive. Sentences end at ``.``/``!``/``?``/``…`` — not after common
abbreviations ("Mr.", "e.g.") nor before a lowercase word ('"Run!" she said') — or at a blank line, so
headings and poem stanzas count.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+(?:[.,]\d+)*")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "approx"]
)
_LAST_WORD_RE = re.compile(r"([\w.]+)\.$")
_GOES_ON_RE = re.compile(r"\s+[a-z]")
MTLD_THRESHOLD = 0.72


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.casefold().replace("’", "'") for w in _WORD_RE.findall(text)]


def word_count(text: str) -> int:
    return len(words(text))


def sentences(text: str) -> list[str]:
    """Sentences (each with at least one word)."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        start = 0
        for m in re.finditer(r"[.!?…]+[\"'”’)\]]*(?=\s|$)", paragraph):
            before = _LAST_WORD_RE.search(paragraph, max(start, m.start() - 12), m.start() + 1)
            abbreviation = m.group(0) == "." and before and before.group(1).casefold() in _ABBREVIATIONS
            if abbreviation or _GOES_ON_RE.match(paragraph, m.end()):  # '"Run!" she said' goes on
                continue
            pieces.append(paragraph[start : m.end()])
            start = m.end()
        pieces.append(paragraph[start:])
    return [p.strip() for p in pieces if words(p)]


def sentence_count(text: str) -> int:
    return len(sentences(text))


def avg_sentence_length(text: str) -> float:
    """Mean words per sentence (0.0 for empty text)."""
    counts = [len(words(s)) for s in sentences(text)]
    return sum(counts) / len(counts) if counts else 0.0


def type_token_ratio(text: str) -> float:
    """Distinct words / words (0.0 for empty text). Falls with length — compare only similar lengths."""
    tokens = words(text)
    return len(set(tokens)) / len(tokens) if tokens else 0.0


def root_ttr(text: str) -> float:
    """Guiraud's root TTR: distinct words / sqrt(words); less length-dependent than plain TTR."""
    tokens = words(text)
    return len(set(tokens)) / math.sqrt(len(tokens)) if tokens else 0.0


def _mtld_pass(tokens: list[str], threshold: float) -> float:
    factors, types, count = 0.0, set[str](), 0
    for token in tokens:
        count += 1
        types.add(token)
        if len(types) / count <= threshold:
            factors, types, count = factors + 1, set(), 0
    if count:
        factors += (1 - len(types) / count) / (1 - threshold)
    return len(tokens) / factors if factors else math.inf


def mtld(text: str, threshold: float = MTLD_THRESHOLD) -> float | None:
    """Measure of Textual Lexical Diversity (McCarthy & Jarvis 2010), mean of forward and backward passes.

    Higher = more diverse. None when undefined: no tokens, or no repetition at all (every word distinct).
    Values for texts under ~100 words are unstable.
    """
    tokens = words(text)
    if not tokens:
        return None
    forward, backward = _mtld_pass(tokens, threshold), _mtld_pass(tokens[::-1], threshold)
    return None if math.isinf(forward) or math.isinf(backward) else (forward + backward) / 2


@dataclass(frozen=True)
class TextStats:
    words: int
    sentences: int
    avg_sentence_length: float
    type_token_ratio: float
    root_ttr: float
    mtld: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def text_stats(text: str) -> TextStats:
    """All measures at once, rounded for display."""
    return TextStats(
        words=word_count(text),
        sentences=sentence_count(text),
        avg_sentence_length=round(avg_sentence_length(text), 2),
        type_token_ratio=round(type_token_ratio(text), 4),
        root_ttr=round(root_ttr(text), 4),
        mtld=None if (m := mtld(text)) is None else round(m, 2),
    )
