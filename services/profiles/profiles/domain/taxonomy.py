"""The skills taxonomy: canonical skills with bilingual names, aliases and related skills, and the
in-memory index that answers the autocomplete box on every keystroke. Pure data and lookups.

How suggestions are ranked (and told apart, so a client can show them differently):

1. ``exact``: the query *is* the skill's name, in English or French ("java" is Java). This is the
   match for the query.
2. ``alias``: the query is one of the skill's other names ("js" is JavaScript).
3. ``prefix``: a name starts with the query ("java" starts "JavaScript"). A completion of what
   the person is still typing, never a match for the query itself: JavaScript is offered *after*
   Java, and marked as a completion.
4. ``word``: a later word of a name starts with the query ("excel" in "Microsoft Excel").
5. ``fuzzy``: a name or word close in spelling (a typo), for queries of four letters or more.

Within a tier, names in the caller's language come first, then aliases, then names in the other
language; then shorter names. Each skill appears once, with its best match. Matching ignores case
and accents ("eval" finds "Évaluation").
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

DATA = Path(__file__).resolve().parents[1] / "data" / "skills.yaml"

EXACT, ALIAS, PREFIX, WORD, FUZZY = "exact", "alias", "prefix", "word", "fuzzy"
_TIER = {EXACT: 0, ALIAS: 1, PREFIX: 2, WORD: 3, FUZZY: 4}
FUZZY_MIN_QUERY = 4
FUZZY_CUTOFF = 80.0


def fold(text: str) -> str:
    """Lower case without accents, spaces collapsed, so `éval` finds `Évaluation`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class Skill:
    id: str
    en: str
    fr: str
    aliases: tuple[str, ...] = field(default=())
    related: tuple[str, ...] = field(default=())

    def label(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Suggestion:
    skill: Skill
    match: str  # exact, alias, prefix, word or fuzzy
    matched_name: str


@dataclass(frozen=True)
class _Name:
    folded: str
    text: str
    skill: Skill
    is_alias: bool
    lang: str  # "en", "fr", or "" for an alias (any language)


class Taxonomy:
    def __init__(self, skills: Iterable[Skill]):
        self.skills: dict[str, Skill] = {s.id: s for s in skills}
        names: list[_Name] = []
        for skill in self.skills.values():
            names.append(_Name(fold(skill.en), skill.en, skill, False, "en"))
            names.append(_Name(fold(skill.fr), skill.fr, skill, False, "fr"))
            names.extend(_Name(fold(a), a, skill, True, "") for a in skill.aliases)
        names.sort(key=lambda n: n.folded)
        self._names = names
        self._keys = [n.folded for n in names]
        # Every word after the first, for "word" hits ("excel" in "microsoft excel").
        words = sorted((w, i) for i, n in enumerate(names) for w in n.folded.split()[1:])
        self._words = words
        self._word_keys = [w for w, _ in words]
        # Fuzzy choices: whole names and their longer words, each pointing back at its names.
        choices: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            choices.setdefault(n.folded, []).append(i)
            for w in n.folded.split():
                if len(w) >= FUZZY_MIN_QUERY:
                    choices.setdefault(w, []).append(i)
        self._fuzzy_choices = list(choices)
        self._fuzzy_targets = [choices[c] for c in self._fuzzy_choices]

    @classmethod
    def load(cls, path: Path = DATA) -> Taxonomy:
        with path.open(encoding="utf-8") as f:
            rows = yaml.safe_load(f)
        return cls(
            Skill(
                str(r["id"]),
                str(r["en"]),
                str(r["fr"]),
                tuple(str(a) for a in r.get("aliases", ())),
                tuple(str(x) for x in r.get("related", ())),
            )
            for r in rows
        )

    def get(self, skill_id: str) -> Skill | None:
        return self.skills.get(skill_id)

    def unknown(self, ids: Sequence[str]) -> list[str]:
        return [i for i in ids if i not in self.skills]

    def related(self, skill_id: str) -> list[Skill]:
        skill = self.skills.get(skill_id)
        return [] if skill is None else [self.skills[r] for r in skill.related if r in self.skills]

    def find_by_name(self, text: str) -> Skill | None:
        """The skill whose name or alias is exactly `text` (ignoring case and accents), if any."""
        q = fold(text)
        i = bisect.bisect_left(self._keys, q)
        return self._names[i].skill if i < len(self._keys) and self._keys[i] == q else None

    def suggest(self, query: str, lang: str, limit: int = 10) -> list[Suggestion]:
        q = fold(query)
        if not q or limit <= 0:
            return []
        best: dict[str, tuple[tuple[int, int, float, int, str], Suggestion]] = {}

        def offer(name: _Name, match: str, score: float = 100.0) -> None:
            # The caller's language first, then aliases, then the other language.
            language_rank = 1 if name.is_alias else (0 if name.lang == lang else 2)
            key = (_TIER[match], language_rank, -score, len(name.folded), name.folded)
            current = best.get(name.skill.id)
            if current is None or key < current[0]:
                best[name.skill.id] = (key, Suggestion(name.skill, match, name.text))

        start = bisect.bisect_left(self._keys, q)
        for i in range(start, len(self._keys)):
            name = self._names[i]
            if not name.folded.startswith(q):
                break
            if name.folded == q:
                offer(name, ALIAS if name.is_alias else EXACT)
            else:
                offer(name, PREFIX)
        start = bisect.bisect_left(self._word_keys, q)
        for i in range(start, len(self._word_keys)):
            word, index = self._words[i]
            if not word.startswith(q):
                break
            offer(self._names[index], WORD)
        if len(q) >= FUZZY_MIN_QUERY and len(best) < limit:
            for _, score, choice in process.extract(
                q, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit * 3
            ):
                for index in self._fuzzy_targets[choice]:
                    offer(self._names[index], FUZZY, score)
        ranked = sorted(best.values(), key=lambda item: item[0])
        return [suggestion for _, suggestion in ranked[:limit]]
