"""``podium serve``: preview the built site over HTTP (charts and gallery need HTTP, not file://)."""

from __future__ import annotations

import errno
import functools
import http.server
from pathlib import Path

import click

from evals.errors import ConfigError


@click.command()
@click.option("--site", "site_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("site"),
              show_default=True, help="Built site directory.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free port.")
def serve(site_dir: Path, host: str, port: int) -> None:
    """Serve the built site locally.

    \b
    Example:
      podium build && podium serve --port 8000
    """
    if not (site_dir / "index.html").is_file():
        raise ConfigError("no built site here", where=str(site_dir), fix="run `podium build` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        in_use = exc.errno == errno.EADDRINUSE
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror})", where="--port" if in_use else "--host",
                          fix="choose another port" if in_use else "use an address of this machine, e.g. 127.0.0.1"
                          ) from None
    click.echo(f"serving {site_dir} at http://{host}:{server.server_address[1]}/ — Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
