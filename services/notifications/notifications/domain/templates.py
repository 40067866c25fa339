"""Rendering a notice from its bilingual template, and the email around it. Pure: no I/O once
loaded.

The words are data: `templates.yaml` (one template per kind of notice), `categories.yaml` (the
kinds people choose in their preferences) and the service's `messages.yaml` (the words around
every email). The layout is Jinja2: `layouts/email.html.j2` and its plain-text twin
`layouts/email.txt.j2`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import yaml
from babel.dates import format_date, format_datetime, format_time

from tandem_kit.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalog

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES = PACKAGE / "templates.yaml"
CATEGORIES = PACKAGE / "categories.yaml"
MESSAGES = PACKAGE / "messages.yaml"
LAYOUTS = PACKAGE / "layouts"

CHANNELS = ("in_app", "email")
# Placeholders every template may use without declaring them.
BUILT_IN_FIELDS = frozenset({"name", "lang"})
DEFAULT_CATEGORY = "account"
_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


class TemplateError(ValueError):
    """A template is malformed, or was rendered without a value it needs."""


@dataclass(frozen=True)
class Category:
    name: str
    mandatory: bool
    label: Mapping[str, str]


@dataclass(frozen=True)
class Texts:
    subject: str
    body: str
    action: str


@dataclass(frozen=True)
class Template:
    kind: str
    category: str
    channels: tuple[str, ...]
    fields: frozenset[str]
    link: str
    sensitive: bool
    event: str
    texts: Mapping[str, Texts]


@dataclass(frozen=True)
class Rendered:
    kind: str
    category: str
    mandatory: bool
    subject: str
    # The notice's own words, as the inbox shows them.
    body: str
    # The whole email, as plain text and as HTML.
    text: str
    html: str
    link: str


@dataclass(frozen=True)
class DigestItem:
    subject: str
    body: str
    link: str


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise TemplateError(f"unbalanced braces in {text!r}: {exc}") from exc


def _parse_template(kind: str, body: Mapping[str, Any], categories: Mapping[str, Category]) -> Template:
    texts = {}
    for lang in LANGUAGES:
        part = body.get(lang)
        if not isinstance(part, Mapping) or not part.get("subject") or not part.get("body"):
            raise TemplateError(f"template {kind!r} lacks a {lang} subject or body")
        texts[lang] = Texts(str(part["subject"]), str(part["body"]).strip(), str(part.get("action") or ""))
    category = str(body.get("category") or DEFAULT_CATEGORY)
    if categories and category not in categories:
        raise TemplateError(f"template {kind!r} is in category {category!r}, which categories.yaml does not define")
    channels = tuple(body.get("channels") or CHANNELS)
    if not channels or any(c not in CHANNELS for c in channels):
        raise TemplateError(f"template {kind!r} has channels {list(channels)}; use {list(CHANNELS)}")
    link = str(body.get("link") or "/{lang}/")
    used = set().union(*(_placeholders(t.subject) | _placeholders(t.body) for t in texts.values()), _placeholders(link))
    declared = body.get("fields")
    # A template without a `fields` list needs whatever its texts name.
    fields = frozenset(declared) if declared is not None else frozenset(used - BUILT_IN_FIELDS)
    undeclared = used - fields - BUILT_IN_FIELDS
    if undeclared:
        raise TemplateError(f"template {kind!r} uses {sorted(undeclared)} without listing them in its fields")
    return Template(
        kind=kind,
        category=category,
        channels=channels,
        fields=fields,
        link=link,
        sensitive=bool(body.get("sensitive", False)),
        event=str(body.get("event") or ""),
        texts=texts,
    )


def _parse_categories(raw: Mapping[str, Any]) -> dict[str, Category]:
    categories = {}
    for name, body in raw.items():
        label = {lang: str((body or {}).get(lang) or "") for lang in LANGUAGES}
        if not all(label.values()):
            raise TemplateError(f"category {name!r} lacks an English or French label")
        categories[str(name)] = Category(str(name), bool(body.get("mandatory", False)), label)
    return categories


def _format(text: str, values: Mapping[str, object], kind: str) -> str:
    try:
        return text.format_map(values)
    except (KeyError, IndexError) as exc:
        raise TemplateError(f"template {kind!r} needs the value {exc}") from exc


def format_when(moment: datetime, lang: str, timezone: str, *, with_time: bool) -> str:
    """A date (and time) as people write it in `lang`, in the program's time zone."""
    locale = _LOCALES.get(lang, _LOCALES[DEFAULT_LANGUAGE])
    local = moment.astimezone(ZoneInfo(timezone))
    if not with_time:
        return str(format_date(local, "long", locale=locale))
    day = format_date(local, "full", locale=locale)
    hour = format_time(local, "short", locale=locale)
    zone = format_datetime(local, "z", locale=locale)
    return f"{day}, {hour} {zone}"


def language(lang: str) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


class Templates:
    def __init__(
        self,
        raw: Mapping[str, Mapping[str, Any]],
        categories: Mapping[str, Any] | None = None,
        words: Catalog | None = None,
    ):
        self.raw = raw
        self.categories = _parse_categories(categories or {})
        self.templates = {kind: _parse_template(kind, body, self.categories) for kind, body in raw.items()}
        self.words = words or Catalog.load(MESSAGES)
        self.layouts = jinja2.Environment(
            loader=jinja2.FileSystemLoader(LAYOUTS),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    @classmethod
    def load(cls, path: Path = TEMPLATES, categories: Path = CATEGORIES) -> Templates:
        with path.open(encoding="utf-8") as f:
            raw = yaml.safe_load(f)
        with categories.open(encoding="utf-8") as f:
            raw_categories = yaml.safe_load(f)
        return cls(raw, raw_categories)

    def template(self, kind: str) -> Template:
        try:
            return self.templates[kind]
        except KeyError:
            raise TemplateError(f"there is no template {kind!r} in templates.yaml") from None

    def category(self, name: str) -> Category:
        return self.categories.get(name) or Category(name, False, {lang: name for lang in LANGUAGES})

    def is_mandatory(self, kind: str) -> bool:
        return self.category(self.template(kind).category).mandatory

    def render(
        self,
        kind: str,
        lang: str,
        params: Mapping[str, object],
        base_url: str,
        *,
        unsubscribe_url: str = "",
        items: Sequence[DigestItem] = (),
    ) -> Rendered:
        """The notice `kind` in `lang`, with `params` in its placeholders. `unsubscribe_url` is
        the signed link for optional notices; mandatory ones never show one."""
        template = self.template(kind)
        lang = language(lang)
        texts = template.texts[lang]
        values = {"name": "", **params, "lang": lang}
        missing = template.fields - set(values)
        if missing:
            raise TemplateError(f"template {kind!r} needs the values {sorted(missing)}")
        # A subject is one header line, whatever the values hold.
        subject = " ".join(_format(texts.subject, values, kind).split())
        body = _format(texts.body, values, kind)
        link = base_url.rstrip("/") + _format(template.link, values, kind)
        category = self.category(template.category)
        context = self._layout_context(lang, str(values["name"]), category, base_url, unsubscribe_url)
        context.update(
            subject=subject,
            paragraphs=[p.splitlines() for p in body.split("\n\n") if p.strip()],
            action=texts.action or self.words.render("email.open", lang),
            link=link,
            items=[{"subject": i.subject, "body": i.body, "link": i.link} for i in items],
        )
        if items:
            context["why"] = self.words.render("email.why_digest", lang)
        return Rendered(
            kind=kind,
            category=template.category,
            mandatory=category.mandatory,
            subject=subject,
            body=body,
            text=self.layouts.get_template("email.txt.j2").render(context),
            html=self.layouts.get_template("email.html.j2").render(context),
            link=link,
        )

    def _layout_context(
        self, lang: str, name: str, category: Category, base_url: str, unsubscribe_url: str
    ) -> dict[str, Any]:
        words = self.words
        return {
            "lang": lang,
            "greeting": words.render("email.greeting", lang, {"name": name}) if name else "",
            "link_hint": words.render("email.link_hint", lang),
            "signature": words.render("email.signature", lang),
            "why": words.render("email.why", lang, {"category": category.label[lang]}),
            "unsubscribe_url": "" if category.mandatory else unsubscribe_url,
            "unsubscribe_label": words.render("email.unsubscribe", lang),
            "preferences_url": f"{base_url.rstrip('/')}/{lang}/account/notifications",
            "preferences_label": words.render("email.preferences", lang),
            "mandatory_note": words.render("email.mandatory", lang) if category.mandatory else "",
            "labelled": lambda label, value: words.render("email.labelled", lang, {"label": label, "value": value}),
        }
