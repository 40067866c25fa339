"""Code lists a profile refers to, shipped as data: NOC 2021 occupations and NAICS 2022 industries
(each code with its hierarchy, searchable in English and French), the occupational groups of the
public service (EC-05), and the provinces and territories. Pure data and lookups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from profiles.domain.taxonomy import fold

DATA = Path(__file__).resolve().parents[1] / "data"

NOC = "noc2021"
NAICS = "naics2022"
SYSTEMS = (NOC, NAICS)
# Titles break into words at spaces and punctuation: "programmeurs/programmeuses" is two words.
_WORD_BREAK = re.compile(r"[\s,;/()’'-]+")


@dataclass(frozen=True)
class Text:
    en: str
    fr: str

    def __getitem__(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    level: str
    title: Text
    parent: str  # "" at the top


@dataclass(frozen=True)
class _Entry:
    code: Code
    words: Mapping[str, tuple[str, ...]]  # folded title words, per language
    folded: Mapping[str, str]


class CodeList:
    """One classification: codes by value, each knowing its parent, and a word index over both
    languages' titles."""

    def __init__(self, system: str, codes: Iterable[Code]):
        self.system = system
        self.codes = {c.code: c for c in codes}
        missing = [c.code for c in self.codes.values() if c.parent and c.parent not in self.codes]
        if missing:
            raise ValueError(f"{system}: codes without their parent: {', '.join(missing[:5])}")
        self._entries = [
            _Entry(
                c,
                {lang: tuple(w for w in _WORD_BREAK.split(fold(c.title[lang])) if w) for lang in ("en", "fr")},
                {lang: fold(c.title[lang]) for lang in ("en", "fr")},
            )
            for c in sorted(self.codes.values(), key=lambda c: c.code)
        ]
        self._children: dict[str, list[Code]] = {}
        for entry in self._entries:
            if entry.code.parent:
                self._children.setdefault(entry.code.parent, []).append(entry.code)
        self.levels = frozenset(c.level for c in self.codes.values())
        # How deep each code sits (a sector 0, ...): "31-33" is a sector, not a five-digit code.
        self._depth = {c.code: len(self.hierarchy(c)) for c in self.codes.values()}

    def get(self, code: str) -> Code | None:
        return self.codes.get(code)

    def hierarchy(self, code: Code) -> list[Code]:
        """The code's ancestors, broadest first."""
        chain = []
        parent = code.parent
        while parent:
            ancestor = self.codes[parent]
            chain.append(ancestor)
            parent = ancestor.parent
        return chain[::-1]

    def children(self, code: Code) -> list[Code]:
        """The codes one level below, in code order."""
        return list(self._children.get(code.code, ()))

    def search(self, query: str, lang: str, limit: int = 20, levels: Iterable[str] = ()) -> list[Code]:
        """Codes whose value starts with the query, or whose title (in either language) has a word
        starting with each word of the query, at every level (or only at `levels`). Exact titles
        first, then the caller's language, then the most specific codes (an occupation's unit
        group before its minor group)."""
        q = fold(query)
        if not q or limit <= 0:
            return []
        wanted = frozenset(levels)
        entries = [e for e in self._entries if e.code.level in wanted] if wanted else self._entries
        if re.fullmatch(r"[0-9-]+", q):
            hits = [e.code for e in entries if e.code.code.startswith(q)]
            return sorted(hits, key=lambda c: (len(c.code), c.code))[:limit]
        tokens = [w for w in _WORD_BREAK.split(q) if w]
        other = "en" if lang == "fr" else "fr"
        ranked: list[tuple[tuple[int, int, int, str], Code]] = []
        for entry in entries:
            for language_rank, language in enumerate((lang, other)):
                words = entry.words[language]
                if all(any(w.startswith(t) for w in words) for t in tokens):
                    exact = 0 if entry.folded[language] == q else 1
                    specific = -self._depth[entry.code.code]
                    ranked.append(((exact, language_rank, specific, entry.code.code), entry.code))
                    break
        ranked.sort(key=lambda r: r[0])
        return [code for _, code in ranked[:limit]]


def _text(raw: Mapping[str, Any]) -> Text:
    return Text(str(raw["en"]), str(raw["fr"]))


NOC_LEVELS = {1: "broad_category", 2: "major_group", 3: "sub_major_group", 4: "minor_group", 5: "unit_group"}
_NOC_SECTIONS = ("broad_categories", "major_groups", "sub_major_groups", "minor_groups", "unit_groups")


def load_noc(path: Path = DATA / "noc2021.yaml") -> CodeList:
    """Every level of NOC 2021: a code's parent is the code one digit shorter (unit group 41101 is
    in minor group 4110, sub-major group 411, major group 41, broad category 4)."""
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    codes = []
    for section in _NOC_SECTIONS:
        for value, title in (raw.get(section) or {}).items():
            value = str(value)
            if len(value) not in NOC_LEVELS:
                raise ValueError(f"{NOC}: {value} is not a NOC code")
            codes.append(Code(NOC, value, NOC_LEVELS[len(value)], _text(title), value[:-1]))
    return CodeList(NOC, codes)


# Level 6 is StatCan's "Canadian industry"; its name stays "national_industry" (NAICS's own term),
# which callers already rely on.
NAICS_LEVELS = {2: "sector", 3: "subsector", 4: "industry_group", 5: "industry", 6: "national_industry"}
# Sectors that span several two-digit values.
_NAICS_RANGES = {
    **dict.fromkeys(("31", "32", "33"), "31-33"),
    **dict.fromkeys(("44", "45"), "44-45"),
    **dict.fromkeys(("48", "49"), "48-49"),
}


def load_naics(path: Path = DATA / "naics2022.yaml") -> CodeList:
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    codes = []
    for value, title in raw.items():
        value = str(value)
        if "-" in value or len(value) == 2:
            level, parent = "sector", ""
        elif len(value) == 3:
            level, parent = "subsector", _NAICS_RANGES.get(value[:2], value[:2])
        else:
            level, parent = NAICS_LEVELS[len(value)], value[:-1]
        codes.append(Code(NAICS, value, level, _text(title), parent))
    return CodeList(NAICS, codes)


# --- occupational groups ----------------------------------------------------------------------


@dataclass(frozen=True)
class OccupationalGroup:
    code: str
    name: Text
    subgroup: str  # "" when the group has none
    subgroup_name: Text | None
    min_level: int
    max_level: int


@dataclass(frozen=True)
class ParsedClassification:
    group: OccupationalGroup
    level: int

    @property
    def code(self) -> str:
        parts = [self.group.code, self.group.subgroup] if self.group.subgroup else [self.group.code]
        return "-".join([*parts, f"{self.level:02d}"])


class ClassificationError(ValueError):
    """Why a classification was refused: a message code and its parameters."""

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params


_CLASSIFICATION = re.compile(r"^([A-Z]{2})(?:[- ]?([A-Z]{2,3}))?[- ]?(\d{1,2})$")


class OccupationalGroups:
    def __init__(self, groups: Iterable[OccupationalGroup]):
        self.groups = list(groups)
        self._by_key = {(g.code, g.subgroup): g for g in self.groups}
        self._codes = {g.code for g in self.groups}

    def parse(self, text: str) -> ParsedClassification:
        """`EC-05`, `ec 5`, `EN-ENG-03`: raises ClassificationError unless the group, subgroup and
        level are listed."""
        m = _CLASSIFICATION.match(" ".join(text.upper().split()))
        if m is None:
            raise ClassificationError("classification.format")
        code, subgroup, level = m.group(1), m.group(2) or "", int(m.group(3))
        if code not in self._codes:
            raise ClassificationError("classification.unknown_group", group=code)
        group = self._by_key.get((code, subgroup))
        if group is None:
            subgroups = sorted(g.subgroup for g in self.groups if g.code == code and g.subgroup)
            raise ClassificationError("classification.subgroup", group=code, subgroups=", ".join(subgroups) or "—")
        if not group.min_level <= level <= group.max_level:
            raise ClassificationError("classification.level", group=code, min=group.min_level, max=group.max_level)
        return ParsedClassification(group, level)


def load_groups(path: Path = DATA / "occupational_groups.yaml") -> OccupationalGroups:
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    groups = []
    for row in raw:
        name = _text(row)
        if "subgroups" in row:
            for sub, spec in row["subgroups"].items():
                low, high = spec["levels"]
                groups.append(OccupationalGroup(row["code"], name, str(sub), _text(spec), int(low), int(high)))
        else:
            low, high = row["levels"]
            groups.append(OccupationalGroup(row["code"], name, "", None, int(low), int(high)))
    return OccupationalGroups(groups)


def load_provinces(path: Path = DATA / "provinces.yaml") -> dict[str, Text]:
    with path.open(encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    return {str(code): _text(names) for code, names in raw.items()}
