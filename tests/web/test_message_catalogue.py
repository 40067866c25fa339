"""The web front-end's texts: every one the pages and templates use is in the French catalogue,
translated, not fuzzy, with the same placeholders; and the catalogue holds nothing stale."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "tandem_web" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _used() -> set[str]:
    from babel.messages.frontend import parse_mapping_cfg

    with (WEB / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(
        WEB / "tandem_web", method_map, options_map, keywords=keywords, strip_comment_tags=True
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_every_text_has_a_french_translation_with_the_same_placeholders() -> None:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="fr")
    used = _used()
    assert used, "no texts found: is babel.cfg right?"
    missing = sorted(m for m in used if m not in catalog)
    assert not missing, f"texts not in the French catalogue (run `make web-messages`): {missing[:20]}"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        for s in strings:
            if _placeholders(s) != _placeholders(ids[-1]) and _placeholders(s) != _placeholders(ids[0]):
                problems.append(f"placeholders differ: {ids[0]!r} -> {s!r}")
    assert not problems, "\n".join(problems[:30])
    stale = sorted(m.id for m in catalog if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in used)
    assert not stale, f"texts no page uses any more (run `make web-messages`): {stale[:20]}"
