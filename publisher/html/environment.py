"""The one Jinja2 environment of every HTML page cmq writes or serves.

Contract: :func:`environment` loads the templates of ``publisher/html/templates`` (autoescaped,
strict about undefined names, block tags trimmed) with the ``num`` filter (thin spaces between
thousands, as French typography wants); :func:`stylesheet` is the site's CSS, inlined by the
standalone release files (``validation.html``, ``ontology.html``) that have no server beside them.
The release writes files with it, the server renders pages with it; it imports nothing of either.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STYLESHEET = STATIC_DIR / "cmq.css"


def format_number(n: object) -> object:
    """``12345`` → ``12 345`` (narrow no-break space); anything else unchanged."""
    return f"{n:,}".replace(",", "\u202f") if isinstance(n, int) else n


@cache
def environment() -> Environment:
    """The shared environment (built once)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = format_number
    return env


@cache
def stylesheet() -> str:
    """The site's stylesheet, safe to inline in a ``<style>`` element."""
    return STYLESHEET.read_text(encoding="utf-8").replace("</", "<\\/")
