"""Browser journeys: everything here is marked `browser` (the fixtures live in tests/conftest.py).

Every page opened here is watched for Content-Security-Policy violations: a listener added before any of
the page's own code runs records each `securitypolicyviolation` event on `window.__cspViolations` and
reports it to the test at once (so none is lost when the page navigates away), and console messages about
the policy are kept too. A journey that caused any fails when it ends, so every journey here — old and new —
also proves the policy breaks nothing it uses.

Every page is also checked by axe-core (npm's `axe-core`, from node_modules; `scripts/test` runs `npm ci`):
the library and a small runner are added as init scripts (not subject to the page's policy), axe runs once the
page has loaded and again after each htmx swap settles, and each violation is reported to the test at once; at
the end every page still open is checked one last time. A journey whose pages had any violation fails.

A failing journey keeps a full-page screenshot of each of its open pages in `test-results/screenshots/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-results" / "screenshots"

AXE_RUNNER = """
(() => {
  // Django's own admin (/admin/) is the framework's markup, not our screens: its inline tables have empty
  // header cells and its clearable file inputs no label of their own.
  if (!/^https?:$/.test(location.protocol) || window.top !== window || location.pathname.startsWith("/admin/")) {
    return;
  }
  let running = false, again = false, timer = null;
  const check = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      const result = await window.axe.run(document, {resultTypes: ["violations"]});
      for (const violation of result.violations) {
        const report = {page: location.href, id: violation.id, impact: violation.impact, help: violation.help,
                        nodes: violation.nodes.map((node) => node.target.join(" ") + " :: " +
                                                            (node.failureSummary || "")).slice(0, 5)};
        if (window.__reportAxeViolation) { window.__reportAxeViolation(report); }
      }
    } catch (error) {
      if (window.__reportAxeViolation) {
        window.__reportAxeViolation({page: location.href, id: "axe-error", help: String(error), nodes: []});
      }
    } finally {
      running = false;
      window.__axeChecked = (window.__axeChecked || 0) + 1;
      if (again) { again = false; check(); }
    }
  };
  window.__axeCheck = check;
  const soon = () => { clearTimeout(timer); timer = setTimeout(check, 50); };
  window.addEventListener("load", soon);
  document.addEventListener("htmx:afterSettle", soon);
})();
"""

LISTENER = """
(() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    const seen = {directive: event.effectiveDirective || event.violatedDirective, blocked: event.blockedURI,
                  source: event.sourceFile, line: event.lineNumber, sample: event.sample, page: location.href};
    window.__cspViolations.push(seen);
    if (window.__reportCspViolation) {
      window.__reportCspViolation(seen);
    }
  });
})();
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class CspWatch:
    """What the pages of one test reported: policy violations, console lines about the policy, uncaught
    script errors or htmx errors (htmx refusing to evaluate code logs one, for instance), and axe-core's
    accessibility violations."""

    def __init__(self) -> None:
        self.violations: list[dict[str, Any]] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.accessibility: list[dict[str, Any]] = []

    def watch(self, page: Any) -> Any:
        if not AXE.exists():
            pytest.fail(f"axe-core not found at {AXE}: run `npm ci` (scripts/test does).")
        page.context.expose_function("__reportCspViolation", self._report)
        page.context.expose_function("__reportAxeViolation", self._report_axe)
        page.context.add_init_script(LISTENER)
        page.context.add_init_script(path=str(AXE))
        page.context.add_init_script(AXE_RUNNER)
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def _report(self, seen: dict[str, Any]) -> None:
        self.violations.append(seen)

    def _report_axe(self, seen: dict[str, Any]) -> None:
        key = (seen.get("page"), seen.get("id"), tuple(seen.get("nodes") or ()))
        if key not in {(v.get("page"), v.get("id"), tuple(v.get("nodes") or ())) for v in self.accessibility}:
            self.accessibility.append(seen)

    def check_accessibility(self, pages: list[Any]) -> None:
        """Run axe once more on every page still open (what changed since its last run is checked too)."""
        for page in pages:
            try:
                if not page.is_closed():
                    page.evaluate("async () => { if (window.__axeCheck) { await window.__axeCheck(); } }")
            except PlaywrightError:  # navigating right now: its load will run axe, nobody waits for it
                pass

    def _console(self, page: Any, message: Any) -> None:
        text = f"{page.url}: {message.text} ({message.location.get('url')}:{message.location.get('lineNumber')})"
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(text)
        elif message.type == "error" and "htmx" in message.text.lower():
            self.errors.append(text)

    def problems(self, pages: Sequence[Any] = ()) -> list[str]:
        found = [f"CSP violation: {violation}" for violation in self.violations]
        for page in pages:  # the record on the page itself, for a page still open
            try:
                recorded = [] if page.is_closed() else page.evaluate("window.__cspViolations || []")
            except PlaywrightError:  # navigating right now: what it saw was reported already
                recorded = []
            found += [f"CSP violation (on the page): {seen}" for seen in recorded if seen not in self.violations]
        return (found + [f"console: {text}" for text in self.console]
                + [f"script error: {text}" for text in self.errors]
                + [f"accessibility (axe-core): {seen}" for seen in self.accessibility])

    def assert_clean(self, *pages: Any) -> None:
        assert not (problems := self.problems(list(pages))), "\n".join(problems)

    def clear(self) -> None:
        self.violations.clear()
        self.console.clear()
        self.errors.clear()
        self.accessibility.clear()


@pytest.fixture
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when in ("call", "teardown"):
        item.stash.setdefault(FAILED, []).append(report.failed)
    return report


FAILED = pytest.StashKey[list[bool]]()


def keep_screenshots(request: pytest.FixtureRequest, pages: list[Any]) -> None:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages):
        try:
            if not page.is_closed():
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{number}.png"), full_page=True)
        except PlaywrightError:
            pass


@pytest.fixture
def new_page(new_page: Callable[..., Any], csp_watch: CspWatch,
             request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """tests/conftest.py's `new_page`, with every page watched for policy and accessibility violations
    (checked at the end), and screenshots kept when the journey fails."""
    pages: list[Any] = []

    def make(**context_options: Any) -> Any:
        page = csp_watch.watch(new_page(**context_options))
        pages.append(page)
        return page

    yield make
    csp_watch.check_accessibility(pages)
    problems = csp_watch.problems(pages)
    if problems or any(request.node.stash.get(FAILED, [])):
        keep_screenshots(request, pages)
    if problems:
        pytest.fail("The Content-Security-Policy or accessibility (axe-core) was violated:\n" + "\n".join(problems))
