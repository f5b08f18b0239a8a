"""The seed story (``site_data/reported/story.yaml``): which question the site's "The question" page answers, whose
published rows are claims and which form the reference band, the assumptions behind the cost of the claims, and
which scenarios show where a small model fails. Names and numbers the page prints come from here and from the
reported rows and model files it points to — never from the site's code."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from evals.errors import ConfigError
from evals.records import Strict
from evals.yamlio import validate_yaml

STORY_FILE = "reported/story.yaml"


class Challenger(Strict):
    """The small model of the claim: its published rows of the suite, some of them claims not verified."""

    model_id: str = Field(description="site_data/models id; its reported rows (model_id column) are drawn.")
    claims: list[str] = Field(description="Metrics of its reported rows that are claims, e.g. ['pass@100'].")


class Opponent(Strict):
    """The large model: its published rows of one metric form the reference band (lowest to highest)."""

    model_id: str = Field(description="site_data/models id; its prices cost the one answer it gives.")
    reported_as: list[str] = Field(default_factory=list,
                                   description="Reported rows' model names that also count (older snapshots).")
    metric: str = Field("pass@1", description="Metric of the band.")


class TokenAssumption(Strict):
    prompt_per_problem: int = Field(ge=0, description="Prompt tokens of one problem.")
    completion_per_sample: int = Field(ge=1, description="Generated tokens of one sample.")
    source: str = Field(description="Why these numbers (they are assumptions, not measurements).")


class SelfHosted(Strict):
    """Drawing k samples on rented GPUs: GPU-seconds = k × tokens per sample / throughput."""

    output_tokens_per_second: float = Field(gt=0, description="Generated tokens per second per GPU, batched.")
    source: str = Field(description="Where the throughput comes from.")


class CostAssumptions(Strict):
    tokens: TokenAssumption
    self_hosted: SelfHosted


class FailureCase(Strict):
    scenario: str = Field(description="Scenario id (evals/scenarios/*.yaml).")
    label: str = Field(description="Short name on the page, e.g. '9.11 vs 9.9'.")
    why: str = Field("", description="Why this case matters to the question, one sentence.")


class HeadToHeadClaim(Strict):
    """A second, different claim (a large model against the opponent on several benchmarks), on its own page."""

    title: str
    challenger: str = Field(description="Prefix of the reported rows' model names on the challenger's side.")
    opponent: str = Field(description="Prefix of the reported rows' model names on the opponent's side.")
    runner: str = Field(description="Prefix of the rows' source: both sides from this one runner.")
    base_marker: str = Field("base", description="Text in a challenger row's model name marking the base model.")


class SeedStory(Strict):
    question: str
    suite: str = Field(pattern=r"^[a-z0-9_]+$", description="Base suite id of the question, e.g. 'humaneval' (not a "
                       "variant such as 'humaneval-chat': the page gathers every protocol of the base suite).")
    challenger: Challenger
    opponent: Opponent
    cost: CostAssumptions
    failures: list[FailureCase] = Field(default_factory=list)
    head_to_head: HeadToHeadClaim | None = None


def load_story(root: Path) -> SeedStory | None:
    """The story of ``root`` (a site_data directory), None when it has none; a bad file is a ConfigError naming
    the file and line."""
    path = root / STORY_FILE
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the story file ({exc.strerror})", where=str(path)) from None
    return validate_yaml(text, SeedStory, str(path))
