"""axe-core (vendored from npm, ``tests/vendor/axe-core``) run in a Playwright page: the WCAG 2.1 A/AA rules.

Example:
    >>> problems = serious_violations(page)  # doctest: +SKIP
    >>> assert not problems, describe(problems)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}


def violations(page, include: str | None = None) -> list[dict]:
    """Every axe violation on the page (or inside the ``include`` selector), shadow roots included."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    context = f"{{include: [[{include!r}]]}}" if include else "document"
    return page.evaluate(
        f"async () => (await axe.run({context}, {{runOnly: {{type: 'tag', values: {TAGS!r}}}}})).violations"
    )


def serious_violations(page, include: str | None = None) -> list[dict]:
    """The violations axe rates serious or critical."""
    return [v for v in violations(page, include) if v.get("impact") in SERIOUS]


def describe(found: list[dict]) -> str:
    """A readable list: rule, impact, and the first offending elements with axe's summary."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:3]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)
