"""Browser journeys: everything here is marked `browser` (the fixtures live in tests/conftest.py).

Every page opened here is watched for Content-Security-Policy violations: a listener added before any of
the page's own code runs records each `securitypolicyviolation` event on `window.__cspViolations` and
reports it to the test at once (so none is lost when the page navigates away), and console messages about
the policy are kept too. A journey that caused any fails when it ends, so every journey here — old and new —
also proves the policy breaks nothing it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

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
    """What the pages of one test reported: policy violations, console lines about the policy, and uncaught
    script errors or htmx errors (htmx refusing to evaluate code logs one, for instance)."""

    def __init__(self) -> None:
        self.violations: list[dict[str, Any]] = []
        self.console: list[str] = []
        self.errors: list[str] = []

    def watch(self, page: Any) -> Any:
        page.context.expose_function("__reportCspViolation", self._report)
        page.context.add_init_script(LISTENER)
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def _report(self, seen: dict[str, Any]) -> None:
        self.violations.append(seen)

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
        return found + [f"console: {text}" for text in self.console] + [f"script error: {text}" for text in
                                                                          self.errors]

    def assert_clean(self, *pages: Any) -> None:
        assert not (problems := self.problems(list(pages))), "\n".join(problems)

    def clear(self) -> None:
        self.violations.clear()
        self.console.clear()
        self.errors.clear()


@pytest.fixture
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.fixture
def new_page(new_page: Callable[..., Any], csp_watch: CspWatch) -> Iterator[Callable[..., Any]]:
    """tests/conftest.py's `new_page`, with every page watched for policy violations (checked at the end)."""
    pages: list[Any] = []

    def make(**context_options: Any) -> Any:
        page = csp_watch.watch(new_page(**context_options))
        pages.append(page)
        return page

    yield make
    problems = csp_watch.problems(pages)
    if problems:
        pytest.fail("The Content-Security-Policy was violated:\n" + "\n".join(problems))
