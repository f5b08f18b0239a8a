"""Screenshots and first-view weight of a built site, as a reader's browser sees it (headless Chromium).

    python tools/site_shots.py SITE_DIR OUT_DIR [--prefix before] [--pages / /suites/mmlu/ ...]

For each page: a full-page screenshot at 1440 px and 390 px, light and dark (``PREFIX-NAME-WIDTH-THEME.png``),
and the bytes transferred on a first view (empty cache: every response's headers and body), printed one line per
page. Serves SITE_DIR on 127.0.0.1; no other host is reachable.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
WIDTHS = {"1440": (1440, 900), "390": (390, 844)}


@contextmanager
def serve(root: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def first_view(browser: object, url: str, width: str, scheme: str, shot: Path | None) -> tuple[int, int]:
    """(bytes transferred, requests) of one first view, waiting for charts; a screenshot when ``shot``."""
    w, h = WIDTHS[width]
    ctx = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)  # type: ignore[attr-defined]
    page = ctx.new_page()
    sizes: list[int] = []

    def done(req: object) -> None:
        s = req.sizes()  # type: ignore[attr-defined]
        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])

    page.on("requestfinished", done)
    page.goto(url, wait_until="networkidle")
    n = page.locator(".vega-chart").count()
    if n:
        with contextlib.suppress(Exception):  # a chart that never renders still gets its screenshot
            page.wait_for_function(f"document.querySelectorAll('.vega-chart svg').length >= {n}", timeout=20_000)
    page.wait_for_timeout(300)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    ctx.close()
    return sum(sizes), len(sizes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--prefix", default="after")
    ap.add_argument("--pages", nargs="*", default=["/"])
    ap.add_argument("--no-shots", action="store_true", help="only measure the first-view bytes")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    a.out.mkdir(parents=True, exist_ok=True)
    with serve(a.site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path in a.pages:
            name = path.strip("/").replace("/", "-") or "home"
            for width in WIDTHS:
                for scheme in ("light", "dark"):
                    shot = None if a.no_shots else a.out / f"{a.prefix}-{name}-{width}-{scheme}.png"
                    nbytes, reqs = first_view(browser, base + path, width, scheme, shot)
                    if scheme == "light":
                        print(f"{path} @{width}px: {nbytes / 1e3:.1f} KB in {reqs} requests (first view)")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
