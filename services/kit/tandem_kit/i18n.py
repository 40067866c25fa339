"""Bilingual message catalogues. Each service keeps its texts as data (`messages.yaml`): a code,
then its English and French text, with `{name}` placeholders. Nothing a person reads is a string
in code."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

# The language of the request being served; the gRPC bootstrap sets it from metadata.
request_language: contextvars.ContextVar[str] = contextvars.ContextVar("request_language", default=DEFAULT_LANGUAGE)


def negotiate(accept_language: str | None) -> str:
    """Pick en or fr from an Accept-Language value (or a bare code); English by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in accept_language.split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        lang = tag.lower().split("-")[0]  # the primary subtag: fr-CA is French, frr is not
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        # q=0 means "not acceptable", so it never wins.
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


class CatalogError(ValueError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice: plain YAML keeps the last silently, which hides a
    message written twice with different texts."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise CatalogError(f"{key!r} is given twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Catalog:
    messages: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, *paths: Path) -> Catalog:
        merged: dict[str, dict[str, str]] = {}
        for path in paths:
            with path.open(encoding="utf-8") as f:
                raw = yaml.load(f, Loader=_UniqueKeyLoader) or {}  # a SafeLoader: no arbitrary objects
            for code, texts in raw.items():
                if not isinstance(texts, dict):
                    raise CatalogError(f"{path}: message {code!r} must give en and fr texts")
                missing = [lang for lang in LANGUAGES if not (texts or {}).get(lang)]
                if missing:
                    raise CatalogError(f"{path}: message {code!r} lacks {', '.join(missing)}")
                merged[code] = {lang: str(texts[lang]) for lang in LANGUAGES}
        return cls(merged)

    def __contains__(self, code: object) -> bool:
        return code in self.messages

    def render(self, code: str, lang: str | None = None, params: Mapping[str, object] | None = None) -> str:
        lang = lang if lang in LANGUAGES else request_language.get()
        texts = self.messages.get(code)
        if texts is None:
            raise CatalogError(f"no message {code!r} in the catalogue")
        return texts[lang].format(**(params or {}))

    def both(self, code: str, params: Mapping[str, object] | None = None) -> dict[str, str]:
        return {lang: self.render(code, lang, params) for lang in LANGUAGES}


KIT_CATALOG = Catalog.load(Path(__file__).with_name("messages.yaml"))
