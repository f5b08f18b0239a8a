"""``podium add-model``: write site_data/models/<id>.yaml, every field explained, from flags or prompts."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import BaseModel, ValidationError

from evals.atomic import write_text
from evals.errors import ConfigError
from evals.records import ID_PATTERN, ModelEntry, Prices
from evals.store import model_path
from evals.yamlio import validate_yaml
from generator.cli.options import site_data_option

# Comments for fields whose description in the record type is missing or too terse for a newcomer.
EXPLAIN = {
    "id": "Model id: the file name without .yaml; lowercase letters, digits, '.', '_' and '-'.",
    "license": "License of the weights or terms of the API, e.g. 'Apache-2.0', 'Llama 3.1 Community', 'proprietary'.",
    "open_weights": "true when the weights can be downloaded.",
    "source": "Where the weights/API come from: Hugging Face repo, PyPI package or API name.",
    "api_model": "Model name to send to an OpenAI-compatible API (podium run --backend openai).",
    "prices": "Prices used for the cost column; leave out what you do not know.",
    "notes": "Anything a reader should know (shown on the model's page).",
}
REQUIRED_FLAGS = {"name": "--name", "family": "--family", "license": "--license", "source": "--source",
                  "open_weights": "--open-weights/--closed-weights"}


def _comment(cls: type[BaseModel], name: str, indent: str) -> list[str]:
    info = cls.model_fields[name]
    text = (EXPLAIN.get(name) if cls is ModelEntry else None) or info.description or name.replace("_", " ")
    need = "required" if info.is_required() else "optional"
    return [f"{indent}# {text} ({need})"]


def _scalar(key: str, value: Any) -> str:
    return yaml.safe_dump({key: value}, default_flow_style=False, allow_unicode=True, sort_keys=False,
                          width=10_000).strip()


def render(entry: ModelEntry) -> str:
    """The model file: every field of ModelEntry with its explanation; unset optional fields commented out."""
    data = entry.model_dump(exclude_none=True)
    out = [f"# Model entry for podium: site_data/models/{entry.id}.yaml (schema: site_data/schema/model.schema.json)",
           "# Check it with: podium validate site_data", ""]
    for name in ModelEntry.model_fields:
        out += _comment(ModelEntry, name, "")
        if name == "prices":
            prices = data.get("prices", {})
            out.append("prices:" if prices else "# prices:")
            for sub in Prices.model_fields:
                out += _comment(Prices, sub, "  ")
                out.append("  " + _scalar(sub, prices[sub]) if sub in prices else f"  # {sub}:")
        elif name in data:
            out.append(_scalar(name, data[name]))
        else:
            out.append(f"# {name}:")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _prompt_missing(values: dict[str, Any], model_id: str) -> None:
    if values.get("name") is None:
        values["name"] = click.prompt("Display name", default=model_id)
    if values.get("family") is None:
        values["family"] = click.prompt("Model family (e.g. Llama 3.1)")
    if values.get("license") is None:
        values["license"] = click.prompt("License (e.g. Apache-2.0, proprietary)")
    if values.get("open_weights") is None:
        values["open_weights"] = click.confirm("Open weights (downloadable)?", default=True)
    if values.get("source") is None:
        values["source"] = click.prompt("Source (Hugging Face repo, package or API name)")
    for key, question in (("parameters_b", "Parameters in billions"), ("revision", "Revision / snapshot"),
                          ("quantization", "Quantization"), ("api_model", "API model name")):
        if values.get(key) is None:
            answer = click.prompt(f"{question} (empty: unknown / none)", default="", show_default=False)
            values[key] = (float(answer) if key == "parameters_b" else answer) if answer.strip() else None


def _check_id(model_id: str) -> None:
    if not re.fullmatch(ID_PATTERN.rstrip("$"), model_id):
        shown = model_id if len(model_id) <= 40 else model_id[:40] + "…"
        raise ConfigError(f"'{shown}' is not a valid model id", fix="use a lowercase slug of at most 80 characters "
                          "(letters, digits, '.', '_', '-'), such as llama-3.1-8b")


def build_entry(model_id: str, values: dict[str, Any], prices: dict[str, Any]) -> ModelEntry:
    _check_id(model_id)
    missing = [flag for key, flag in REQUIRED_FLAGS.items() if values.get(key) is None]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}", fix="pass them, or run interactively to be asked")
    data = {"id": model_id, **{k: v for k, v in values.items() if v is not None}}
    if any(v is not None for v in prices.values()):
        data["prices"] = {k: v for k, v in prices.items() if v is not None}
    try:
        return ModelEntry.model_validate(data, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"field '{field}': {err['msg']}", fix="see site_data/schema/model.schema.json") from None


@click.command("add-model")
@click.argument("model_id", metavar="ID")
@click.option("--name", help="Display name, e.g. 'Llama 3.1 8B Instruct'.")
@click.option("--family", help="Model family, e.g. 'Llama 3.1'.")
@click.option("--parameters-b", type=click.FloatRange(min=0, min_open=True), help="Parameters in billions.")
@click.option("--license", "license_", help="License, e.g. Apache-2.0.")
@click.option("--open-weights/--closed-weights", default=None, help="Whether the weights can be downloaded.")
@click.option("--source", help="Hugging Face repo, PyPI package or API name.")
@click.option("--revision", help="Commit/version of the weights or dated API snapshot.")
@click.option("--quantization", help="e.g. 'GGUF Q4_1', 'FP8'; leave out for full precision.")
@click.option("--chat/--base", default=True, show_default=True, help="Instruction/chat-tuned (chat template).")
@click.option("--api-model", help="Model name to send to an OpenAI-compatible API.")
@click.option("--notes", help="Free text shown on the model's page.")
@click.option("--price-input", type=click.FloatRange(min=0), help="USD per 1M input tokens.")
@click.option("--price-output", type=click.FloatRange(min=0), help="USD per 1M output tokens.")
@click.option("--gpu-hour", type=click.FloatRange(min=0), help="USD per GPU-hour when self-hosted.")
@click.option("--gpu-type", help="GPU the --gpu-hour price refers to.")
@click.option("--price-source", help="Where the prices come from, and their date.")
@click.option("--interactive/--no-interactive", default=None,
              help="Ask for missing fields [default: when standard input is a terminal].")
@click.option("--force", is_flag=True, help="Overwrite an existing model file.")
@site_data_option("--out")
def add_model(model_id: str, license_: str | None, open_weights: bool | None, price_input: float | None,
              price_output: float | None, gpu_hour: float | None, gpu_type: str | None, price_source: str | None,
              interactive: bool | None, force: bool, site_data: Path, **fields: Any) -> None:
    """Write site_data/models/ID.yaml with every field explained, from flags or prompts.

    \b
    Example:
      podium add-model qwen2.5-7b-instruct --name "Qwen2.5 7B Instruct" --family Qwen2.5 \\
        --parameters-b 7.6 --license Apache-2.0 --open-weights --source Qwen/Qwen2.5-7B-Instruct
    """
    _check_id(model_id)  # before any prompt or file access: the id names the file
    path = model_path(site_data, model_id)
    if path.exists() and not force:
        raise ConfigError("model file exists", where=str(path), fix="edit it, or pass --force to overwrite")
    values: dict[str, Any] = {**fields, "license": license_, "open_weights": open_weights}
    if interactive if interactive is not None else sys.stdin.isatty():
        _prompt_missing(values, model_id)
    prices = {"input_per_mtok": price_input, "output_per_mtok": price_output, "gpu_hour": gpu_hour,
              "gpu_type": gpu_type, "source": price_source}
    entry = build_entry(model_id, values, prices)
    text = render(entry)
    if validate_yaml(text, ModelEntry, str(path)) != entry:  # the file reads back as exactly this entry
        raise ConfigError("the rendered file does not read back as the entry", where=str(path))
    write_text(path, text)
    click.echo(f"wrote {shlex.quote(str(path))} — check it with: podium validate {shlex.quote(str(site_data))}")
