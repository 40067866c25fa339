"""Driving the web front-end as a person would: Debian's Chromium through Playwright, every
request to anything but this machine aborted, axe-core's WCAG 2.1 AA rules run on every page at a
desktop and a mobile width, and screenshots of the main pages kept under
tests/browser/screenshots/."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import httpx
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, ViewportSize, sync_playwright

from tandem_dev.testing import Member, TestStack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
MOBILE: ViewportSize = {"width": 375, "height": 740}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def launch() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visitor:
    """One person's browser: their own cookies, every request off this machine refused and noted."""

    context: BrowserContext
    page: Page
    lang: str
    base_url: str
    blocked: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, browser: Browser, base_url: str, lang: str) -> Visitor:
        context = browser.new_context(viewport=DESKTOP, locale="fr-CA" if lang == "fr" else "en-CA")
        visitor = cls(context, context.new_page(), lang, base_url)
        context.route("**/*", visitor._only_loopback)
        visitor.page.set_default_timeout(20_000)
        return visitor

    def _only_loopback(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.context.close()

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base_url}/{self.lang}{path}")
        self.ready()

    def ready(self) -> None:
        """The page has loaded and its GC components have drawn themselves."""
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('*')].filter(e => e.tagName.startsWith('GCDS-'))"
            ".every(e => e.classList.contains('hydrated') || e.hasAttribute('hydrated'))"
        )
        # Colours mid-transition (a focus or hover fading in) are not the page's colours.
        self.page.wait_for_function(
            "() => document.getAnimations().filter(a => a.playState === 'running'"
            " && a.effect && a.effect.getTiming().iterations !== Infinity).length === 0"
        )

    def check(self, name: str, *, screenshot: bool = False) -> None:
        """axe-core's WCAG 2.1 AA rules at desktop and mobile widths, the page's language, and
        nothing loaded from outside; the screenshot at both widths if asked."""
        self.ready()
        html_lang = self.page.evaluate("document.documentElement.lang")
        assert html_lang == self.lang, f"{name}: <html lang={html_lang}> on a {self.lang} page"
        for label, size in (("desktop", DESKTOP), ("mobile", MOBILE)):
            self.page.set_viewport_size(size)
            self.ready()
            violations = axe(self.page)
            assert not violations, f"{name} ({label}, {self.lang}): {format_violations(violations)}"
            if screenshot:
                SCREENSHOTS.mkdir(exist_ok=True)
                path = SCREENSHOTS / f"{slug(name)}-{self.lang}-{label}.png"
                self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(DESKTOP)
        assert not self.blocked, f"{name}: the page tried to load from outside the site: {self.blocked}"
        self.checked.add(name)

    # --- forms -----------------------------------------------------------------------------------
    def field(self, label: str, *, within: str = "") -> Locator:
        """The control a person finds by its label (which may go on with "(required)" and the
        field's error), and not one whose label only starts the same way; inside the group
        (fieldset) of that name if `within` is given, where several groups repeat a label."""
        scope: Page | Locator = self.page
        if within:
            # The group's fieldset is drawn in the component's shadow DOM and its fields are
            # slotted in: the scope is the component holding it (the innermost, if nested).
            # Its name is its legend, followed by its hint if it has one.
            group = self.page.get_by_role("group", name=re.compile(rf"^{re.escape(within)}(\s|$)"))
            scope = self.page.locator("gcds-fieldset, gcds-checkboxes, gcds-radios").filter(has=group).last
        return scope.get_by_label(re.compile(rf"^{re.escape(label)}\s*(\((required|obligatoire)\))?$"))

    def fill(self, label: str, value: str, *, within: str = "") -> None:
        self.field(label, within=within).fill(value)

    def type(self, label: str, value: str) -> None:
        """Type key by key, as a person does where the page suggests things while they type,
        and wait for the suggestions for the whole of it (not those for a part, still on their
        way, that would replace them)."""
        control = self.field(label)
        control.fill("")
        with self.page.expect_response(lambda r: f"={value}" in unquote_plus(r.url)):
            control.press_sequentially(value, delay=40)
        self.settled()

    def settled(self) -> None:
        """No htmx request under way and nothing being swapped in."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
        )

    def choose(self, label: str, option: str, *, within: str = "") -> None:
        """Pick an option of a select by the words it shows."""
        self.field(label, within=within).select_option(label=option)

    def tick(self, label: str, *, within: str = "") -> None:
        """Tick a GC checkbox or radio as a person does: by clicking its label (the drawn box)."""
        control = self.field(label, within=within)
        control.check(force=True)
        assert control.is_checked(), f"{label} did not get ticked"

    def press(self, name: str | re.Pattern[str]) -> None:
        """Press a button that sends a form, and wait for the page that comes back."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=name, exact=isinstance(name, str)).click()
        self.ready()

    def follow(self, name: str | re.Pattern[str]) -> None:
        """Follow the link of that name."""
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=name, exact=isinstance(name, str)).first.click()
        self.ready()

    def until(self, path: str, found: Callable[[str], bool], *, what: str, timeout: float = 60) -> str:
        """Open `path` again and again until its main text shows what is awaited (what the
        marketplace works out in the background arrives a moment later), and return the text."""
        deadline = time.monotonic() + timeout
        pause = 200
        while True:
            self.go(path)
            shown = self.text()
            if found(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never showed on {path}:\n{shown}")
            self.page.wait_for_timeout(pause)  # between two looks, not instead of one
            pause = min(pause * 2, 2_000)

    def heading(self) -> str:
        """The page's h1 (drawn by gcds-heading, whose text is its own light DOM)."""
        return self.page.locator("gcds-heading[tag=h1]").first.inner_text().strip()

    def text(self) -> str:
        return self.page.locator("#main-content").inner_text()


def axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a page script, so the site's CSP
        # (scripts only from itself) stays as it is in production.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, summary: n.failureSummary}))})); }",
        WCAG_AA,
    )
    return list(result)


def format_violations(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)[:4000]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --- plain HTTP, for the page tests that need no browser ------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTMX = {"HX-Request": "true"}


class WebClient:
    """One person's visits to the web front-end over plain HTTP, as a browser without scripts
    makes them: cookies kept, forms sent with the CSRF token read from the page."""

    def __init__(self, stack: TestStack):
        self.client = httpx.Client(base_url=stack.stack.web_url, timeout=30)
        self.csrf = ""

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        r = self.client.get(path, params=params, headers=headers)
        if found := CSRF.search(r.text):
            self.csrf = found.group(1)
        return r

    def post(
        self,
        path: str,
        data: dict[str, Any] | list[tuple[str, str]],
        *,
        follow: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        form: dict[str, list[str]] = {"csrf_token": [self.csrf]}
        for name, value in data.items() if isinstance(data, dict) else data:
            for v in value if isinstance(value, list) else [value]:
                form.setdefault(name, []).append(v)
        r = self.client.post(path, data=form, headers=headers)
        if follow and r.status_code == 303:
            return self.get(r.headers["location"])
        if found := CSRF.search(r.text):
            self.csrf = found.group(1)
        return r

    def sign_in(self, email: str, lang: str = "en") -> None:
        self.get(f"/{lang}/sign-in")
        r = self.post(f"/{lang}/sign-in", {"email": email, "password": Member.PASSWORD, "next": ""})
        assert r.status_code == 200 and "tandem-session-bar" in r.text, r.text[:2000]


def field_error(page: str, field_id: str) -> str:
    """The error shown beside a control (by its id), checking the summary links to it."""
    match = re.search(rf'(?:input|textarea|select)-id="{re.escape(field_id)}"[^>]*?error-message="([^"]*)"', page)
    if match is None:
        match = re.search(rf'id="{re.escape(field_id)}"[^>]*?error-message="([^"]*)"', page)
    assert match, f"no error beside #{field_id}"
    summary = re.search(r"<gcds-error-summary [^>]*error-links='([^']*)'", page)
    assert summary, "no error summary"
    links = json.loads(html.unescape(summary.group(1)))
    message = html.unescape(match.group(1))
    # The summary names the field by its label: "Label: message".
    assert str(links.get(f"#{field_id}", "")).endswith(message), links
    return message


def options(page: str, name: str) -> list[dict[str, Any]]:
    """The options of a gcds-checkboxes or gcds-radios group."""
    match = re.search(
        rf'<gcds-(?:checkboxes|radios) id="[^"]*" name="{re.escape(name)}"[^>]*?options=\'([^\']*)\'', page
    )
    assert match, f"no choices named {name}"
    return list(json.loads(html.unescape(match.group(1))))
