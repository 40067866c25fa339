"""The skills taxonomy: canonical skills with bilingual labels and aliases. Pure data and lookups."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "skills.yaml"


def fold(text: str) -> str:
    """Lower case without accents, so `éval` finds `Évaluation`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@dataclass(frozen=True)
class Skill:
    id: str
    en: str
    fr: str
    aliases: tuple[str, ...] = field(default=())

    def label(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


class Taxonomy:
    def __init__(self, skills: Iterable[Skill]):
        self.skills = {s.id: s for s in skills}

    @classmethod
    def load(cls, path: Path = DATA) -> Taxonomy:
        with path.open(encoding="utf-8") as f:
            rows = yaml.safe_load(f)
        return cls(
            Skill(str(r["id"]), str(r["en"]), str(r["fr"]), tuple(str(a) for a in r.get("aliases", ()))) for r in rows
        )

    def get(self, skill_id: str) -> Skill | None:
        return self.skills.get(skill_id)

    def unknown(self, ids: Sequence[str]) -> list[str]:
        return [i for i in ids if i not in self.skills]

    def suggest(self, query: str, lang: str, limit: int = 10) -> list[Skill]:
        """Skills for an autocomplete box: an exact label or alias first, then labels starting
        with the query, then labels with a word starting with it, then the other language."""
        q = fold(query)
        if not q:
            return []
        ranked: list[tuple[int, str, Skill]] = []
        for skill in self.skills.values():
            own, other = fold(skill.label(lang)), fold(skill.label("en" if lang == "fr" else "fr"))
            names = [own, other, *(fold(a) for a in skill.aliases)]
            if own == q or q in names[2:]:
                rank = 0
            elif own.startswith(q):
                rank = 1
            elif any(word.startswith(q) for word in own.split()):
                rank = 2
            elif any(n.startswith(q) or any(w.startswith(q) for w in n.split()) for n in names[1:]):
                rank = 3
            else:
                continue
            ranked.append((rank, own, skill))
        ranked.sort(key=lambda r: (r[0], len(r[1]), r[1]))
        return [s for _, _, s in ranked[:limit]]
