"""The retention report: one self-contained HTML file (no network, no external fonts or scripts).

``view.py`` turns a :class:`ReportContext` into display values, ``charts.py``
draws the inline SVG charts, and ``templates/retention_report.html.j2`` lays
them out. All customer data passes through Jinja2 autoescaping.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from models.retention.report.view import ReportContext, build_view

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

__all__ = ["ReportContext", "TEMPLATES_DIR", "build_view", "render_report"]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(ctx: ReportContext, language: str = "en") -> str:
    """Render the retention report as one self-contained HTML page.

    Args:
        ctx: the report's content.
        language: ``"en"`` or ``"ja"``.

    Returns:
        The HTML text (write it with UTF-8).
    """
    view = build_view(ctx, language)
    return _environment().get_template("retention_report.html.j2").render(**view)
