"""``podium serve-model``: serve the embedded model over an OpenAI-compatible HTTP API (llama.cpp server)."""

from __future__ import annotations

import signal
import threading

import click

from evals.backends.embedded import EmbeddedBackend, EmbeddedConfig


@click.command("serve-model")
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True, help="Decoding slots.")
@click.option("--ctx", "n_ctx", type=click.IntRange(min=256), default=4096, show_default=True,
              help="Context per slot.")
@click.option("--prompt-cache/--no-prompt-cache", default=False, show_default=True,
              help="Reuse cached prompt prefixes (faster; greedy output may then depend on request order).")
def serve_model(parallel: int, n_ctx: int, prompt_cache: bool) -> None:
    """Serve SmolLM2-135M-Instruct on a free 127.0.0.1 port with llama.cpp's OpenAI-compatible server.

    Prints the base URL, then serves until SIGTERM/Ctrl-C.

    \b
    Example:
      podium serve-model --parallel 4    # → http://127.0.0.1:PORT/v1
      podium run --backend openai --base-url http://127.0.0.1:PORT/v1 --suite gsm8k
    """
    backend = EmbeddedBackend(EmbeddedConfig(parallel=parallel, n_ctx=n_ctx, prompt_cache=prompt_cache))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"{backend.http_address}/v1", nl=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        backend.close()
