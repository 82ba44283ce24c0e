"""What the accessibility tests look for in a page, shared by the gate and the regression tests.

Each check runs in the page (the DOM as the browser built it, after scripts) and returns what it
found wrong as plain strings, so a failing test lists every problem at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize

DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

AXE = Axe()

# axe-core (shipped by axe-playwright-python) is loaded into the page, then run there; only what
# the gate needs comes back. Starting and collecting are separate calls, so two pages can run axe
# at the same time (each in its own renderer process).
_AXE_LOADED = "() => typeof window.axe !== 'undefined'"
_AXE_START = """() => {
    window.__carebondAxe = axe.run(document, {resultTypes: ['violations']}).then((results) =>
        results.violations.map((v) => ({
            rule: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')),
        })));
}"""
_AXE_RESULT = "() => window.__carebondAxe"


@dataclass(frozen=True)
class AxeViolation:
    rule: str
    impact: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {'; '.join(self.targets)}"


def start_axe(page: Page) -> None:
    """Start axe-core on the page as it is now; axe_results() collects what it found."""
    if not page.evaluate(_AXE_LOADED):
        page.evaluate(AXE.axe_script)
    page.evaluate(_AXE_START)


def axe_results(page: Page) -> list[AxeViolation]:
    """The serious and critical violations found by the run start_axe() began."""
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RESULT)
    return [
        AxeViolation(v["rule"], v["impact"], tuple(v["targets"]))
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


def axe_violations(page: Page) -> list[AxeViolation]:
    """axe-core's serious and critical violations on the page as it is now."""
    start_axe(page)
    return axe_results(page)


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return max(0, int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")))


def wider_than_window(page: Page) -> list[str]:
    """The deepest elements whose box or content reaches past the window's right edge (to name
    what makes a page too wide)."""
    found: list[str] = page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
            (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
        const clips = (el) =>
            ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
        const inScroller = (el) => {
            for (let up = el.parentElement; up; up = up.parentElement) if (clips(up)) return true;
            return false;
        };
        // An element reaches as far as its box, or as its content (text that does not wrap)
        // unless it keeps that content inside (a scrolling box).
        const reach = (el) => {
            const box = el.getBoundingClientRect();
            return clips(el) ? box.right : Math.max(box.right, box.left + el.scrollWidth);
        };
        const wide = Array.from(document.body.querySelectorAll('*')).filter((el) =>
            reach(el) > width + 0.5 && !inScroller(el) &&
            getComputedStyle(el).position !== 'fixed');
        return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)))
            .slice(0, 5).map(name);
    }"""
    )
    return found


def duplicate_ids(page: Page) -> list[str]:
    """Ids used by more than one element: a label or reference then finds the first only."""
    found: list[str] = page.evaluate(
        """() => {
        const counts = new Map();
        document.querySelectorAll('[id]').forEach((el) =>
            counts.set(el.id, (counts.get(el.id) || 0) + 1));
        return Array.from(counts).filter(([, n]) => n > 1).map(([id, n]) => `${id} (x${n})`);
    }"""
    )
    return found


def broken_references(page: Page) -> list[str]:
    """for, aria-describedby, aria-labelledby and aria-controls that name no element."""
    found: list[str] = page.evaluate(
        """() => {
        const broken = [];
        const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
            (el.name ? `[name=${el.name}]` : '');
        document.querySelectorAll('label[for]').forEach((label) => {
            const target = document.getElementById(label.htmlFor);
            if (!target) broken.push(`label for=${label.htmlFor}: no such element`);
            else if (!target.labels || !Array.from(target.labels).includes(label))
                broken.push(`label for=${label.htmlFor}: ${where(target)} is not labellable`);
        });
        for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
            document.querySelectorAll(`[${attribute}]`).forEach((el) => {
                for (const id of el.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
                    if (!document.getElementById(id))
                        broken.push(`${where(el)} ${attribute}=${id}: no such element`);
                }
            });
        }
        return broken;
    }"""
    )
    return found


# --- focus rings ---------------------------------------------------------------------------------

_RGB = re.compile(r"rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[, /]+([\d.]+%?))?\)")


def parse_colour(css: str) -> tuple[float, float, float, float]:
    """A computed CSS colour (rgb() or rgba()) as red, green, blue (0-255) and alpha (0-1)."""
    match = _RGB.fullmatch(css.strip())
    if match is None:
        raise ValueError(f"not a computed rgb() colour: {css!r}")
    red, green, blue, alpha = match.groups()
    opacity = 1.0
    if alpha is not None:
        opacity = float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha)
    return float(red), float(green), float(blue), opacity


def relative_luminance(css: str) -> float:
    """WCAG 2 relative luminance of an opaque colour."""

    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue, _alpha = parse_colour(css)
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# The focused element's outline, and the opaque colours the ring is drawn on: what lies under the
# middle of each of the ring's four sides (the outline sits outside the element, past its offset).
FOCUS_RING = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const width = parseFloat(style.outlineWidth) || 0;
    const offset = parseFloat(style.outlineOffset) || 0;
    const box = el.getBoundingClientRect();
    const reach = offset + width / 2;
    const points = [
        [box.left - reach, box.top + box.height / 2], [box.right + reach, box.top + box.height / 2],
        [box.left + box.width / 2, box.top - reach], [box.left + box.width / 2, box.bottom + reach],
    ];
    const opaque = (start) => {
        for (let node = start; node; node = node.parentElement) {
            const colour = getComputedStyle(node).backgroundColor;
            const alpha = colour.startsWith('rgba') ? parseFloat(colour.split(',')[3]) : 1;
            if (alpha === 1) return colour;
        }
        return getComputedStyle(document.documentElement).backgroundColor === 'rgba(0, 0, 0, 0)'
            ? 'rgb(255, 255, 255)' : getComputedStyle(document.documentElement).backgroundColor;
    };
    const behind = [];
    for (const [x, y] of points) {
        if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
        const stack = document.elementsFromPoint(x, y).filter((node) => node !== el &&
            !el.contains(node));
        behind.push(opaque(stack[0] || document.body));
    }
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    const label = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.getAttribute('href') ? `[href="${el.getAttribute('href')}"]` : '') +
        ` "${text.slice(0, 30)}"`;
    return {label, style: style.outlineStyle, width, colour: style.outlineColor, behind};
}"""

MINIMUM_RING_CONTRAST = 3.0
MINIMUM_RING_WIDTH = 2.0


def focus_ring_problems(page: Page) -> list[str]:
    """What is wrong with the focused element's ring: none, too thin, or under 3:1 against a
    colour it is drawn on (WCAG 2.4.13 / 1.4.11)."""
    ring: dict[str, Any] | None = page.evaluate(FOCUS_RING)
    if ring is None:
        return []
    where = ring["label"]
    if ring["style"] in ("none", "hidden") or ring["width"] < MINIMUM_RING_WIDTH:
        return [f"{where}: no visible focus ring ({ring['style']} {ring['width']}px)"]
    problems = []
    for background in sorted(set(ring["behind"])):
        ratio = contrast_ratio(ring["colour"], background)
        if ratio < MINIMUM_RING_CONTRAST:
            problems.append(f"{where}: ring {ring['colour']} on {background} is {ratio:.2f}:1")
    return problems
