"""The page ``podium view`` writes: one self-contained HTML file (inline CSS and a few lines of script, no
network), every run's metrics with their 95% intervals and its per-item table. Every string from a run or from
the benchmark data is escaped (:func:`html.escape`); model outputs are shown as text, never as markup."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from evals.records import (
    ChoiceDetail,
    CodeDetail,
    ItemText,
    NumericDetail,
    ParsedChoiceDetail,
    RunRecord,
    SampleRecord,
)

MAX_OUTPUT = 4000  # characters of one output shown in the table (the rest is cut, with a note)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1400px;padding:1rem 2rem;
color:#1b1b1f;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:2rem 0 .3rem;border-top:1px solid #ddd;padding-top:1rem}
.meta{color:#555;font-size:.9rem}table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border-bottom:1px solid #e4e4e8;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6;position:sticky;top:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;
max-height:16rem;overflow:auto}tr.wrong td.score{color:#b00020}tr.right td.score{color:#0a7d32}
.controls{margin:.5rem 0}.controls input[type=search]{width:20rem;padding:.2rem .4rem}details summary{cursor:pointer;color:#444}
.note{color:#8a5300}
"""

SCRIPT = """
document.querySelectorAll('.items').forEach(function (box) {
  var q = box.querySelector('input[type=search]'), wrong = box.querySelector('input[type=checkbox]');
  var rows = box.querySelectorAll('tbody tr'), count = box.querySelector('.count');
  function apply() {
    var needle = q.value.toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      var ok = (!needle || r.textContent.toLowerCase().indexOf(needle) >= 0) && (!wrong.checked || r.classList.contains('wrong'));
      r.hidden = !ok; if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' items';
  }
  q.addEventListener('input', apply); wrong.addEventListener('change', apply); apply();
});
"""


@dataclass(frozen=True)
class RunView:
    run: RunRecord
    samples: Sequence[SampleRecord]
    where: str  # the run directory, as given


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def pct(x: float) -> str:
    return f"{x:.1%}"


def _main(run: RunRecord) -> str:
    m = run.main()
    return f"{m.label} {pct(m.value)} [{pct(m.ci_low)}–{pct(m.ci_high)}]" if m else "—"


def summary_table(views: Sequence[RunView]) -> str:
    rows = "".join(
        f"<tr><td><a href='#run-{i}'>{e(v.run.model_id)}</a></td><td>{e(v.run.suite.id)}</td>"
        f"<td>{e(v.run.suite.protocol)}</td><td class='num'>{v.run.n_items}</td><td class='num'>{e(_main(v.run))}</td>"
        f"<td>{e(v.run.backend.name)}</td><td>{e(v.run.run_id)}</td></tr>" for i, v in enumerate(views))
    return ("<table class='runs'><thead><tr><th>model</th><th>suite</th><th>protocol</th><th class='num'>items</th>"
            f"<th class='num'>main metric [95% CI]</th><th>backend</th><th>run</th></tr></thead><tbody>{rows}</tbody></table>")


def metrics_table(run: RunRecord) -> str:
    rows = [m for m in run.metrics if m.group is None or m.group.kind in ("category", "scenario")]
    body = "".join(
        f"<tr><td>{e(m.label)}</td><td>{e(m.variant)}{' (macro)' if m.aggregation == 'macro' else ''}</td>"
        f"<td>{e(m.group.id if m.group else 'all')}</td><td class='num'>{pct(m.value)}</td>"
        f"<td class='num'>{pct(m.ci_low)} – {pct(m.ci_high)}</td><td class='num'>{m.n}</td></tr>" for m in rows)
    return ("<table class='metrics'><thead><tr><th>metric</th><th>variant</th><th>group</th><th class='num'>value</th>"
            f"<th class='num'>95% CI</th><th class='num'>n</th></tr></thead><tbody>{body}</tbody></table>")


def _answer(sample: SampleRecord, text: ItemText | None) -> str:
    """What the grader read from the first output: the picked choice, the extracted number, the verdict."""
    if not sample.outputs:
        return ""
    d = sample.outputs[0].detail
    choices = text.choices if text else []
    if isinstance(d, ChoiceDetail | ParsedChoiceDetail) and d.picked is not None:
        label = choices[d.picked] if d.picked < len(choices) else ""
        return f"choice {d.picked}" + (f": {label}" if label else "")
    if isinstance(d, NumericDetail):
        return f"strict {d.strict} · flexible {d.flexible}"
    if isinstance(d, CodeDetail):
        return d.verdict + (f" ({d.reason})" if d.reason else "")
    return ""


def _output(sample: SampleRecord) -> str:
    if not sample.outputs:
        return ""
    out = sample.outputs[0]
    text = out.error if out.error and not out.text else out.text
    more = f"\n… ({len(text) - MAX_OUTPUT} more characters)" if len(text) > MAX_OUTPUT else ""
    extra = f" (+{len(sample.outputs) - 1} more outputs)" if len(sample.outputs) > 1 else ""
    return f"<pre>{e(text[:MAX_OUTPUT] + more)}</pre>{e(extra)}"


def _row(sample: SampleRecord, text: ItemText | None, main: str | None) -> str:
    score = sample.scores.get(main) if main else None
    cls = "" if score is None else (" class='right'" if score >= 1.0 else " class='wrong'")
    scores = ", ".join(f"{k} {v:.3g}" for k, v in sample.scores.items())
    question = (f"<details><summary>question</summary><pre>{e(text.question)}</pre>"
                + (f"<pre>{e(chr(10).join(f'{i}. {c}' for i, c in enumerate(text.choices)))}</pre>" if text.choices else "")
                + f"<div>reference: {e(text.reference[:MAX_OUTPUT])}</div></details>") if text else ""
    return (f"<tr{cls}><td>{e(sample.item_id)}</td><td class='score'>{e(scores)}</td>"
            f"<td>{e(_answer(sample, text))}</td><td>{_output(sample)}</td><td>{question}</td></tr>")


def items_table(view: RunView, texts: Mapping[str, ItemText], limit: int | None) -> str:
    main_name = view.run.suite.main_metric.name if view.run.suite.main_metric else None
    score_key = next((k for s in view.samples[:1] for k in s.scores if main_name and k.startswith(main_name)), None)
    if score_key is None and view.samples:
        score_key = next(iter(view.samples[0].scores), None)
    shown = view.samples if limit is None else view.samples[:limit]
    cut = (f"<p class='note'>first {len(shown)} of {len(view.samples)} items shown (podium view --items 0 for all)</p>"
           if len(shown) < len(view.samples) else "")
    rows = "".join(_row(s, texts.get(s.item_id), score_key) for s in shown)
    return (f"<div class='items'><div class='controls'><input type='search' placeholder='filter items (id, text)'> "
            f"<label><input type='checkbox'> wrong only</label> <span class='count'></span></div>{cut}"
            "<table><thead><tr><th>item</th><th>scores</th><th>answer</th><th>output</th><th>benchmark text</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></div>")


def run_section(i: int, view: RunView, texts: Mapping[str, ItemText], limit: int | None) -> str:
    run = view.run
    meta = (f"{run.n_items} items · {e(run.suite.selection.text)} · suite version {e(run.suite.version)} · "
            f"backend {e(run.backend.name)} ({e(run.backend.engine)}) · {run.wall_seconds:.1f} s · "
            f"{run.prompt_tokens} prompt + {run.completion_tokens} generated tokens"
            + (f" · {run.n_errors} failed items" if run.n_errors else "")
            + (" · imported from " + e(run.imported.harness) if run.imported else ""))
    return (f"<h2 id='run-{i}'>{e(run.model_id)} on {e(run.suite.display_name or run.suite.id)}</h2>"
            f"<div class='meta'>{meta}<br>{e(view.where)}<br><code>{e(run.command)}</code></div>"
            f"{metrics_table(run)}{items_table(view, texts, limit)}")


def render(views: Sequence[RunView], texts: Mapping[str, ItemText], missing: Sequence[str], title: str,
           limit: int | None) -> str:
    note = (f"<p class='note'>no benchmark text for {e(', '.join(missing))}: its data directory was not found "
            "(podium data fetch, or --data-dir)</p>" if missing else "")
    body = "".join(run_section(i, v, texts, limit) for i, v in enumerate(views))
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'\">"
            f"<title>{e(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{e(title)}</h1><div class='meta'>{len(views)} run(s) · podium view · {made}</div>{note}"
            f"{summary_table(views)}{body}<script>{SCRIPT}</script></body></html>")
