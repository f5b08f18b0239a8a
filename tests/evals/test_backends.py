"""Embedded backend and the OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1."""

from __future__ import annotations

import pytest

from evals.backends.base import ChatMessage, GenerateRequest, Sampling
from evals.backends.openai_compat import OpenAICompatBackend, OpenAIConfig
from evals.backends.retry import RetryPolicy, parse_retry_after
from evals.errors import BackendError
from evals.suites.gsm8k import GSM8K, STOP
from tests.support.faults import failing_proxy

pytestmark = pytest.mark.slow  # real engines, servers, sandboxes or subprocess CLIs

GREEDY = Sampling(max_tokens=48, temperature=0.0, stop=STOP, seed=0)


def gsm8k_requests(data_dir, n: int = 2) -> list[GenerateRequest]:  # type: ignore[no-untyped-def]
    suite = GSM8K()
    return [suite.request(it, GREEDY) for it in suite.load(data_dir)[:n]]


def test_embedded_is_deterministic_at_temperature_0(embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    reqs = gsm8k_requests(data_dir)
    first = embedded.generate(reqs)
    second = embedded.generate(list(reversed(reqs)))[::-1]
    assert [c.texts for c in first] == [c.texts for c in second]
    assert all(c.error is None and c.completion_tokens > 0 and c.prompt_tokens + c.cached_tokens > 500 for c in first)
    assert [c.key for c in first] == [r.key for r in reqs]


def test_embedded_chat_and_n_samples(embedded) -> None:  # type: ignore[no-untyped-def]
    req = GenerateRequest("chat", (ChatMessage("user", "Name a colour."),),
                          Sampling(max_tokens=12, temperature=0.9, n=3, seed=7))
    (c,) = embedded.generate([req])
    assert len(c.texts) == 3 and len(c.finish) == 3 and c.error is None
    again = embedded.generate([req])[0]
    assert again.texts == c.texts  # seeded sampling is reproducible


def test_embedded_failure_is_data_not_exception(embedded) -> None:  # type: ignore[no-untyped-def]
    too_long = GenerateRequest("long", "word " * 6000, Sampling(max_tokens=4))
    ok = GenerateRequest("ok", "Hello", Sampling(max_tokens=4))
    results = embedded.generate([too_long, ok])
    assert [r.key for r in results] == ["long", "ok"]
    assert results[0].error and "context" in results[0].error and results[0].finish == ("error",)
    assert results[1].error is None


def test_openai_backend_matches_in_process_engine(server_url, embedded, data_dir) -> None:  # type: ignore[no-untyped-def]
    reqs = gsm8k_requests(data_dir)
    with OpenAICompatBackend(OpenAIConfig(model="smollm2", base_url=server_url, concurrency=2)) as be:
        be.check_reachable()
        remote = be.generate(reqs)
    local = embedded.generate(reqs)
    assert [c.texts for c in remote] == [c.texts for c in local]
    assert all(c.prompt_tokens + c.cached_tokens > 500 and c.completion_tokens > 0 for c in remote)


def test_openai_backend_chat_n_falls_back_to_seeds(server_url) -> None:  # type: ignore[no-untyped-def]
    req = GenerateRequest("c", (ChatMessage("user", "Say hi."),), Sampling(max_tokens=8, temperature=0.8, n=3))
    with OpenAICompatBackend(OpenAIConfig(model="smollm2", base_url=server_url)) as be:
        (c,) = be.generate([req])
    assert c.error is None and len(c.texts) == 3  # server has 1 slot: n>1 is refused, then sent as 3 requests


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_honour_retry_after_then_succeed(server_url, status: int, data_dir) -> None:  # type: ignore[no-untyped-def]
    reqs = gsm8k_requests(data_dir, 1)
    with failing_proxy(server_url.removesuffix("/v1"), failures=3, status=status, retry_after="0.3") as proxy:
        be = OpenAICompatBackend(OpenAIConfig(model="smollm2", base_url=proxy.url + "/v1"))
        (c,) = be.generate(reqs)
    assert c.error is None and "The answer is" in c.texts[0] or c.texts[0]
    assert proxy.failed == 3 and be.retries == 3
    assert c.seconds >= 0.9  # three waits of Retry-After 0.3 s


def test_persistent_failure_becomes_an_errored_completion(server_url) -> None:  # type: ignore[no-untyped-def]
    req = GenerateRequest("x", "Hi", Sampling(max_tokens=4))
    with failing_proxy(server_url.removesuffix("/v1"), failures=100, status=503, retry_after="0") as proxy:
        be = OpenAICompatBackend(OpenAIConfig(model="smollm2", base_url=proxy.url + "/v1",
                                              retry=RetryPolicy(max_retries=2, base_delay=0.01)))
        (c,) = be.generate([req])
    assert c.key == "x" and c.error and "gave up after 3 attempts" in c.error and c.finish == ("error",)


def test_unreachable_server_is_one_clear_error() -> None:
    be = OpenAICompatBackend(OpenAIConfig(model="m", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(BackendError, match="no server answers at http://127.0.0.1:9/v1"):
        be.check_reachable()


@pytest.mark.parametrize(("value", "expected"), [("3", 3.0), ("0.5", 0.5), (None, None), ("soon", None),
                                                 ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected
