"""Rendering a notice from its bilingual template. Pure."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from tandem_kit.i18n import LANGUAGES

TEMPLATES = Path(__file__).resolve().parents[1] / "templates.yaml"


@dataclass(frozen=True)
class Rendered:
    kind: str
    subject: str
    text: str
    html: str
    link: str


class Templates:
    def __init__(self, raw: Mapping[str, Mapping[str, object]]):
        for kind, body in raw.items():
            for lang in LANGUAGES:
                texts = body.get(lang)
                if not isinstance(texts, Mapping) or not texts.get("subject") or not texts.get("body"):
                    raise ValueError(f"template {kind!r} lacks a {lang} subject or body")
        self.raw = raw

    @classmethod
    def load(cls, path: Path = TEMPLATES) -> Templates:
        with path.open(encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    def render(self, kind: str, lang: str, params: Mapping[str, str], base_url: str) -> Rendered:
        template = self.raw[kind]
        lang = lang if lang in LANGUAGES else "en"
        texts = template[lang]
        assert isinstance(texts, Mapping)
        values = {**params, "lang": lang}
        # A subject is one header line, whatever the values hold.
        subject = " ".join(str(texts["subject"]).format(**values).split())
        body = str(texts["body"]).format(**values)
        link = base_url.rstrip("/") + str(template.get("link", "/{lang}/")).format(**values)
        text = f"{body}\n\n{link}\n"
        page = (
            f'<!doctype html><html lang="{lang}"><body><p>{html.escape(body)}</p>'
            f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p></body></html>'
        )
        return Rendered(kind, subject, text, page, link)
