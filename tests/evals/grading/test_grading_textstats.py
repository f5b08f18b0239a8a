"""Text statistics for creative writing."""

from __future__ import annotations

import pytest

from evals.scenarios import textstats as ts

STORY = """The lighthouse keeper, Mr. Hale, counted the ships. He counted them twice!

Was the sea ever quiet? Never.

It's a well-known tale… The end"""


@pytest.mark.parametrize(
    ("text", "words", "sentences"),
    [
        (STORY, 24, 6),
        ("One sentence without a full stop", 6, 1),
        ("Dr. Smith arrived, e.g. at noon. Then he left.", 10, 2),
        ('"Run!" she said. "Now."', 4, 2),
        ("Poem line one\n\nPoem line two", 6, 2),
        ("3.14 is pi. It's 22/7-ish.", 7, 2),
        ("Wait... what? Oh.", 3, 2),  # lowercase after the ellipsis continues the sentence
        ("", 0, 0),
        ("...", 0, 0),
    ],
)
def test_counts(text: str, words: int, sentences: int) -> None:
    assert ts.word_count(text) == words
    assert ts.sentence_count(text) == sentences


def test_words_keep_contractions_and_hyphens() -> None:
    assert ts.words("It’s a well-known tale, don't you think? 1,000 times.") == [
        "it's", "a", "well-known", "tale", "don't", "you", "think", "1,000", "times"]


@pytest.mark.parametrize(
    ("text", "ttr", "root"),
    [
        ("a b c d", 1.0, 2.0),
        ("the cat the cat", 0.5, 1.0),
        ("The the THE the", 0.25, 0.5),
        ("", 0.0, 0.0),
    ],
)
def test_type_token_ratios(text: str, ttr: float, root: float) -> None:
    assert ts.type_token_ratio(text) == pytest.approx(ttr)
    assert ts.root_ttr(text) == pytest.approx(root)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b a b a b", 3.0),  # a factor closes every 3 tokens, both directions
        ("a a a a", 2.0),  # TTR drops to 0.5 at tokens 2 and 4: 2 factors in 4 tokens
        ("one two three", None),  # no repetition: undefined
        ("", None),
    ],
)
def test_mtld_small_cases(text: str, expected: float | None) -> None:
    value = ts.mtld(text)
    assert value == (None if expected is None else pytest.approx(expected))


def test_mtld_ranks_diverse_text_higher() -> None:
    repetitive = " ".join(["the dog saw the dog and the dog ran"] * 12)
    diverse = (
        "Rain hammered copper rooftops while distant trams rattled through fog. Mira counted lanterns, "
        "unfolding a brittle map stained with tea and salt. Somewhere beyond the harbour a violin "
        "stuttered, then settled into an old waltz her grandmother once hummed over bread dough. She "
        "pocketed the map, buttoned her coat against the gale, and walked toward the music, boots "
        "splashing through silver puddles that mirrored every flickering window."
    )
    low, high = ts.mtld(repetitive), ts.mtld(diverse)
    assert low is not None and high is not None and high > 3 * low


def test_text_stats_bundle() -> None:
    stats = ts.text_stats(STORY)
    assert stats.words == 24 and stats.sentences == 6
    assert stats.avg_sentence_length == pytest.approx(4.0)
    assert set(stats.as_dict()) == {"words", "sentences", "avg_sentence_length", "type_token_ratio",
                                    "root_ttr", "mtld"}
    empty = ts.text_stats("")
    assert (empty.words, empty.sentences, empty.avg_sentence_length, empty.mtld) == (0, 0, 0.0, None)
