"""The in-memory index each `matching-api` process ranks from: the whole population as numpy
columns, skills as inverted lists, hard filters as vectorized masks. It computes exactly what
`domain/ranking.py` defines (a property test holds them equal); explanations of the few people
returned come from ranking.py itself.

How it stays fast at a million profiles:
- every filter is one or two vectorized comparisons over the population, and the cascade of
  filters counts, as it goes, how many people each one rules out;
- skills are looked up in inverted lists (skill -> rows), so only the people holding a required,
  alias or related skill are touched;
- every other criterion is a small table over the distinct values of a column (NOC codes, time
  zone and working-hours combinations, places, classifications), computed by ranking.py's own
  functions and gathered for the qualifying rows;
- the best `limit` are picked with a partition, and ties are broken by name through a packed
  prefix key, so no sort ever runs over the population.

Updates replace a row in place. A row's skills carry a generation: an inverted list keeps stale
entries of older generations until it is compacted, and queries skip them.

Not thread-safe by itself: the api serializes writers against readers (see `ReadWriteLock`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from matching.domain.ranking import (
    DEFAULT_WEIGHTS,
    EMPTY_GRAPH,
    LANGUAGE_SKILLS,
    LANGUAGES,
    LEVEL_ORDER,
    SECURITY_ORDER,
    CandidateFacts,
    CandidateRecord,
    Ranked,
    Requirements,
    SkillGraph,
    Weights,
    alias_skills,
    applicable,
    availability_share,
    classification_share,
    explain,
    location_share,
    order_key,
    schedule_overlap,
    shared_naics_digits,
    shared_noc_digits,
    skill_matches,
    wanted_role,
)

V = TypeVar("V")
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

# A row's skills, languages: stored level + 1 (0: not given).
_LANG_COLS = [(lang, skill) for lang in LANGUAGES for skill in LANGUAGE_SKILLS]
# Ties within a score are broken by name: a packed prefix of three code points orders names as
# Python does, and only names sharing that prefix are compared in full.
_NAME_CHARS = 3
_TIE_SORT_IN_PYTHON = 4096
# A skill held by more than one person in DENSE_SHARE (and DENSE_MIN people) gets a dense column.
DENSE_SHARE = 32
DENSE_MIN = 4096


def name_key(name: str) -> int:
    key = 0
    for i in range(_NAME_CHARS):
        key = (key << 21) | (ord(name[i]) + 1 if i < len(name) else 0)
    return key


class Vocabulary(Generic[V]):
    """Distinct values of a column, each with a small id; id 0 is the empty value."""

    def __init__(self, empty: V):
        self.values: list[V] = [empty]
        self.ids: dict[V, int] = {empty: 0}

    def id(self, value: V) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found

    @classmethod
    def restore(cls, values: list[V]) -> Vocabulary[V]:
        vocabulary = cls(values[0])
        vocabulary.values = values
        vocabulary.ids = {v: i for i, v in enumerate(values)}
        return vocabulary

    def table(self, f: Callable[[V], Any], dtype: Any) -> NDArray[Any]:
        """f over every distinct value, as an array indexed by id."""
        return np.array([f(v) for v in self.values], dtype=dtype)

    def __len__(self) -> int:
        return len(self.values)


class _Postings:
    """An inverted list: rows, and the skill generation each was added in, in growable numpy
    buffers (read without copying). `stale` counts entries left behind by rows whose skills
    changed since: while it is 0, no entry needs checking."""

    __slots__ = ("gens", "rows", "size", "stale")

    def __init__(self) -> None:
        self.rows = np.zeros(8, np.int32)
        self.gens = np.zeros(8, np.int32)
        self.size = 0
        self.stale = 0

    def add(self, row: int, gen: int) -> None:
        if self.size == len(self.rows):
            self.rows = np.concatenate((self.rows, np.zeros(self.size, np.int32)))
            self.gens = np.concatenate((self.gens, np.zeros(self.size, np.int32)))
        self.rows[self.size] = row
        self.gens[self.size] = gen
        self.size += 1

    def valid(self, current_gen: NDArray[np.int32], wanted: BoolArray, *, check: bool = False) -> NDArray[np.int32]:
        """The rows of current entries among those `wanted` (a mask over every row)."""
        rows = self.rows[: self.size]
        keep = wanted[rows]
        if self.stale or check:
            keep &= current_gen[rows] == self.gens[: self.size]
        return rows[keep]

    def compact(self, current_gen: NDArray[np.int32], alive: BoolArray) -> None:
        keep = self.valid(current_gen, alive, check=True)
        self.rows = np.concatenate((keep, np.zeros(8, np.int32)))
        self.gens = np.concatenate((current_gen[keep], np.zeros(8, np.int32)))
        self.size = len(keep)
        self.stale = 0


_AvailKey = tuple[str, tuple[str, ...], int, int]  # time zone, days, start, end


@dataclass
class _Columns:
    alive: BoolArray
    gen: NDArray[np.int32]
    opt_ins: NDArray[np.uint64]
    department: NDArray[np.int32]
    paused: BoolArray
    engagements: NDArray[np.int16]
    max_engagements: NDArray[np.int16]
    mentoring_engagements: NDArray[np.int16]
    max_mentees: NDArray[np.int16]
    languages: NDArray[np.uint8]  # (n, 6)
    security: NDArray[np.int8]
    province: NDArray[np.int32]
    place: NDArray[np.int32]  # (province, city)
    availability: NDArray[np.int32]  # (time zone, days, start, end)
    hours: NDArray[np.int16]
    classification: NDArray[np.int32]  # (group, level)
    noc: NDArray[np.int32]
    naics: NDArray[np.int32]
    name_key: NDArray[np.int64]

    @classmethod
    def empty(cls, n: int) -> _Columns:
        return cls(
            alive=np.zeros(n, np.bool_),
            gen=np.zeros(n, np.int32),
            opt_ins=np.zeros(n, np.uint64),
            department=np.zeros(n, np.int32),
            paused=np.zeros(n, np.bool_),
            engagements=np.zeros(n, np.int16),
            max_engagements=np.zeros(n, np.int16),
            mentoring_engagements=np.zeros(n, np.int16),
            max_mentees=np.zeros(n, np.int16),
            languages=np.zeros((n, len(_LANG_COLS)), np.uint8),
            security=np.zeros(n, np.int8),
            province=np.zeros(n, np.int32),
            place=np.zeros(n, np.int32),
            availability=np.zeros(n, np.int32),
            hours=np.zeros(n, np.int16),
            classification=np.zeros(n, np.int32),
            noc=np.zeros(n, np.int32),
            naics=np.zeros(n, np.int32),
            name_key=np.zeros(n, np.int64),
        )

    def grown(self, n: int) -> _Columns:
        bigger = _Columns.empty(n)
        for name in self.__dataclass_fields__:
            old = getattr(self, name)
            getattr(bigger, name)[: len(old)] = old
        return bigger

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__)


@dataclass
class _Row:
    """What the index keeps of a row beside its columns, to rebuild the record."""

    user_id: str
    display_name: str
    skill_ids: tuple[int, ...]
    custom: Mapping[str, str]  # custom skill id -> name


class CandidateIndex:
    def __init__(
        self,
        capacity: int = 1024,
        graph: SkillGraph = EMPTY_GRAPH,
        *,
        dense_min: int = DENSE_MIN,
        dense_share: int = DENSE_SHARE,
    ):
        self.graph = graph
        self.dense_min, self.dense_share = dense_min, dense_share
        self.cols = _Columns.empty(capacity)
        self.size = 0
        self.rows: dict[str, int] = {}
        self.meta: list[_Row | None] = []
        self.skills: Vocabulary[str] = Vocabulary("")
        self.skill_labels: dict[str, Mapping[str, str]] = {}
        self.exact: dict[int, _Postings] = {}
        self.alias: dict[int, _Postings] = {}
        self.opt_in_bits: dict[tuple[str, str], int] = {}
        self.departments: Vocabulary[str] = Vocabulary("")
        self.provinces: Vocabulary[str] = Vocabulary("")
        self.places: Vocabulary[tuple[str, str]] = Vocabulary(("", ""))
        self.availabilities: Vocabulary[_AvailKey] = Vocabulary(("", (), 0, 0))
        self.classifications: Vocabulary[tuple[str, int]] = Vocabulary(("", 0))
        self.nocs: Vocabulary[str] = Vocabulary("")
        self.naics: Vocabulary[str] = Vocabulary("")
        self.with_custom: set[int] = set()
        # Skills many people hold also get a dense column (row -> holds it): reading a million
        # booleans in order beats scattering hundreds of thousands of list entries.
        self.dense: dict[int, BoolArray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def freeze(self) -> FrozenIndex:
        """This index as it is now, for a snapshot (see FrozenIndex)."""
        return _freeze(self)

    @classmethod
    def thaw(cls, arrays: Mapping[str, NDArray[Any]]) -> CandidateIndex:
        """The index a snapshot's arrays (FrozenIndex.arrays) hold; ValueError for another format."""
        return _thaw(arrays)

    def nbytes(self) -> int:
        """The numpy part of the index (columns and inverted lists)."""
        lists = sum(p.rows.nbytes + p.gens.nbytes for postings in (self.exact, self.alias) for p in postings.values())
        return self.cols.nbytes() + lists

    # --- writing ----------------------------------------------------------------------------------
    def _opt_in_mask(self, opt_ins: Mapping[str, Sequence[str]]) -> int:
        mask = 0
        for kind, roles in opt_ins.items():
            for role in roles:
                bit = self.opt_in_bits.get((kind, role))
                if bit is None:
                    bit = len(self.opt_in_bits)
                    if bit >= 64:
                        raise ValueError("more than 64 opt-in kinds")
                    self.opt_in_bits[(kind, role)] = bit
                mask |= 1 << bit
        return mask

    def upsert(self, record: CandidateRecord, custom: Mapping[str, str] | None = None) -> None:
        """Add or replace a person. `record.skills` holds every skill id (canonical and custom)
        with its labels; `custom` names their custom skills (id -> name), for alias matches."""
        custom = dict(custom or {})
        row = self.rows.get(record.user_id)
        if row is None:
            row = self.size
            if row >= len(self.cols.alive):
                self.cols = self.cols.grown(max(1024, 2 * len(self.cols.alive)))
                for skill, column in self.dense.items():
                    self.dense[skill] = np.concatenate((column, np.zeros(len(self.cols.alive) - len(column), np.bool_)))
            self.size += 1
            self.rows[record.user_id] = row
            self.meta.append(None)
            old_skills: tuple[int, ...] | None = None
            revived = False
        else:
            old = self.meta[row]
            old_skills = old.skill_ids if old is not None else None
            # Indexed anew when it comes back: compacting the lists dropped a dead row's entries.
            revived = not self.cols.alive[row]
        for skill_id, labels in record.skills.items():
            if self.skill_labels.get(skill_id) != labels:
                self.skill_labels[skill_id] = dict(labels)
        skill_ids = tuple(sorted(self.skills.id(s) for s in record.skills))
        f = record.facts
        c = self.cols
        c.alive[row] = True
        c.opt_ins[row] = self._opt_in_mask(f.opt_ins)
        c.department[row] = self.departments.id(f.department)
        c.paused[row] = f.paused
        c.engagements[row] = f.engagements
        c.max_engagements[row] = f.max_engagements
        c.mentoring_engagements[row] = f.mentoring_engagements
        c.max_mentees[row] = f.max_mentees
        for i, (lang, kind) in enumerate(_LANG_COLS):
            c.languages[row, i] = LEVEL_ORDER.get(f.languages.get(lang, {}).get(kind, ""), -1) + 1
        c.security[row] = SECURITY_ORDER.get(f.security_clearance, 0)
        c.province[row] = self.provinces.id(f.province)
        c.place[row] = self.places.id((f.province, f.city))
        c.availability[row] = self.availabilities.id((f.time_zone, tuple(f.days), f.day_start, f.day_end))
        c.hours[row] = f.hours_per_week
        c.classification[row] = self.classifications.id((f.classification_group, f.classification_level))
        c.noc[row] = self.nocs.id(f.noc)
        c.naics[row] = self.naics.id(f.naics)
        c.name_key[row] = name_key(record.display_name)
        self.meta[row] = _Row(record.user_id, record.display_name, skill_ids, custom)
        aliases = alias_skills(custom, self.graph) if custom else {}
        if custom:
            self.with_custom.add(row)
        else:
            self.with_custom.discard(row)
        if old_skills != skill_ids or revived:
            self._reindex_skills(row, old_skills, skill_ids, aliases)

    def _reindex_skills(
        self, row: int, old: tuple[int, ...] | None, new: tuple[int, ...], aliases: Mapping[str, str]
    ) -> None:
        c = self.cols
        if old is not None:
            c.gen[row] += 1  # every entry of the row's older generation is stale from now on
            for s in old:
                self._stale(self.exact, s)
                if s in self.dense:
                    self.dense[s][row] = False
        gen = int(c.gen[row])
        for s in new:
            postings = self._list(self.exact, s)
            postings.add(row, gen)
            if s in self.dense:
                self.dense[s][row] = True
            elif postings.size > max(self.dense_min, self.size // self.dense_share):
                self._make_dense(s, postings)
        for canonical in aliases:
            self._list(self.alias, self.skills.id(canonical)).add(row, gen)

    def _make_dense(self, skill: int, postings: _Postings) -> None:
        column = np.zeros(len(self.cols.alive), np.bool_)
        column[postings.valid(self.cols.gen[: self.size], self.cols.alive[: self.size], check=True)] = True
        self.dense[skill] = column

    @staticmethod
    def _list(lists: dict[int, _Postings], skill: int) -> _Postings:
        found = lists.get(skill)
        if found is None:
            found = lists[skill] = _Postings()
        return found

    def _stale(self, lists: dict[int, _Postings], skill: int) -> None:
        p = lists.get(skill)
        if p is None:
            return
        p.stale += 1
        if p.stale > 64 and p.stale * 2 > p.size:
            p.compact(self.cols.gen, self.cols.alive)

    def remove(self, user_id: str) -> None:
        row = self.rows.get(user_id)
        if row is not None:
            self.cols.alive[row] = False

    def set_graph(self, graph: SkillGraph) -> None:
        """A new taxonomy: alias matches are worked out again for people with custom skills."""
        self.graph = graph
        self.alias = {}
        for row in sorted(self.with_custom):
            meta = self.meta[row]
            if meta is None or not self.cols.alive[row]:
                continue
            for canonical in alias_skills(meta.custom, graph):
                self._list(self.alias, self.skills.id(canonical)).add(row, int(self.cols.gen[row]))

    # --- reading ----------------------------------------------------------------------------------
    def record(self, row: int) -> CandidateRecord:
        """The record a row holds, as ranking.py reads it."""
        meta = self.meta[row]
        assert meta is not None
        c = self.cols
        bits = int(c.opt_ins[row])
        opt_ins: dict[str, list[str]] = {}
        for (kind, role), bit in self.opt_in_bits.items():
            if bits >> bit & 1:
                opt_ins.setdefault(kind, []).append(role)
        languages: dict[str, dict[str, str]] = {}
        order = {v + 1: k for k, v in LEVEL_ORDER.items()}
        for i, (lang, skill) in enumerate(_LANG_COLS):
            level = int(c.languages[row, i])
            if level:
                languages.setdefault(lang, {})[skill] = order[level]
        security = {v: k for k, v in SECURITY_ORDER.items() if k}.get(int(c.security[row]), "")
        time_zone, days, start, end = self.availabilities.values[int(c.availability[row])]
        province, city = self.places.values[int(c.place[row])]
        group, level_ = self.classifications.values[int(c.classification[row])]
        facts = CandidateFacts(
            opt_ins=opt_ins,
            languages=languages,
            province=province,
            city=city,
            paused=bool(c.paused[row]),
            department=self.departments.values[int(c.department[row])],
            security_clearance=security,
            time_zone=time_zone,
            days=days,
            day_start=start,
            day_end=end,
            hours_per_week=int(c.hours[row]),
            max_engagements=int(c.max_engagements[row]),
            engagements=int(c.engagements[row]),
            max_mentees=int(c.max_mentees[row]),
            mentoring_engagements=int(c.mentoring_engagements[row]),
            classification_group=group,
            classification_level=level_,
            noc=self.nocs.values[int(c.noc[row])],
            naics=self.naics.values[int(c.naics[row])],
        )
        skills = {self.skills.values[s]: self.skill_labels.get(self.skills.values[s], {}) for s in meta.skill_ids}
        return CandidateRecord(meta.user_id, meta.display_name, skills, facts, alias_skills(meta.custom, self.graph))

    def row_of(self, user_id: str) -> int | None:
        row = self.rows.get(user_id)
        return row if row is not None and self.cols.alive[row] else None

    def _postings(self, lists: dict[int, _Postings], skill_id: str, wanted: BoolArray) -> NDArray[np.int32]:
        sid = self.skills.ids.get(skill_id)
        p = lists.get(sid) if sid is not None else None
        if p is None:
            return np.zeros(0, np.int32)
        # Alias lists are not told when a row's aliases change: always checked (they are short).
        return p.valid(self.cols.gen[: self.size], wanted, check=lists is self.alias)

    def skill_points(self, required: Sequence[str], weights: Weights, wanted: BoolArray) -> FloatArray:
        """Every wanted row's sum over required skills of the share each earns
        (ranking.skill_score before the mean); rows not wanted may hold anything."""
        n = self.size
        acc = np.zeros(n)
        tmp = np.zeros(n)
        gens = self.cols.gen[:n]
        for r in dict.fromkeys(required):
            # The ways to find r, weakest first: a stronger way found for the same row wins.
            ways: list[tuple[float, int | None, _Postings | None]] = []
            for s in sorted(self.graph.related.get(r, ())):
                sid = self.skills.ids.get(s)
                if sid is not None:
                    ways.append((weights.related, sid, self.exact.get(sid)))
            rid = self.skills.ids.get(r)
            if rid is not None:
                ways.append((weights.alias, None, self.alias.get(rid)))
                ways.append((weights.exact, rid, self.exact.get(rid)))
            if any(sid in self.dense for _, sid, _ in ways):
                for share, sid, postings in ways:
                    if sid is not None and sid in self.dense:
                        np.copyto(tmp, share, where=self.dense[sid][:n])
                    elif postings is not None:
                        tmp[postings.valid(gens, wanted, check=sid is None)] = share
                acc += tmp
                tmp.fill(0.0)
                continue
            found = [
                (share, postings.valid(gens, wanted, check=sid is None))
                for share, sid, postings in ways
                if postings is not None
            ]
            for share, rows in found:
                tmp[rows] = share
            touched = np.concatenate([rows for _, rows in found]) if found else np.zeros(0, np.int32)
            acc[touched] += tmp[touched]
            tmp[touched] = 0.0
        return acc

    def rank(
        self,
        req: Requirements,
        *,
        exclude: Iterable[str] = (),
        limit: int = 20,
        weights: Weights = DEFAULT_WEIGHTS,
        at: datetime | None = None,
    ) -> tuple[list[Ranked], Counter[str]]:
        """ranking.rank over the whole index."""
        at = at or datetime.now(UTC)
        n = self.size
        c = self.cols
        remaining = c.alive[:n].copy()
        for user_id in exclude:
            row = self.rows.get(user_id)
            if row is not None:
                remaining[row] = False
        counts: Counter[str] = Counter()

        def cut(name: str, passing: BoolArray) -> None:
            nonlocal remaining
            failing = int(np.count_nonzero(remaining & ~passing))
            if failing:
                counts[name] = failing
            remaining &= passing

        if req.type:
            bit = self.opt_in_bits.get((req.type, wanted_role(req.type, req.host_role)))
            if bit is None:
                cut("opt_in", np.zeros(n, np.bool_))
            else:
                cut("opt_in", (c.opt_ins[:n] & np.uint64(1 << bit)) != 0)
        if req.limited_to_department:
            dept = self.departments.ids.get(req.department, -1)
            cut("department", c.department[:n] == dept)
        if req.type == "mentoring":
            cut("paused", ~c.paused[:n])
        full = (c.max_engagements[:n] > 0) & (c.engagements[:n] >= c.max_engagements[:n])
        if req.type == "mentoring" and wanted_role(req.type, req.host_role) == "mentor":
            full |= (c.max_mentees[:n] > 0) & (c.mentoring_engagements[:n] >= c.max_mentees[:n])
        cut("capacity", ~full)
        meets = np.ones(n, np.bool_)
        for lang, levels in req.languages.items():
            for skill, needed in levels.items():
                if not needed:
                    continue
                if (lang, skill) not in _LANG_COLS:
                    meets[:] = False
                    continue
                column = c.languages[:n, _LANG_COLS.index((lang, skill))]
                meets &= column >= LEVEL_ORDER.get(needed, 0) + 1
        cut("language", meets)
        needed_security = SECURITY_ORDER.get(req.security_level, 0)
        if needed_security:
            cut("security", c.security[:n] >= needed_security)
        if not req.virtual and req.province:
            cut("location", c.province[:n] == self.provinces.ids.get(req.province, -1))
        if req.time_zone or req.schedule:

            def overlap(key: _AvailKey) -> float:
                time_zone, days, start, end = key
                facts = CandidateFacts(time_zone=time_zone, days=days, day_start=start, day_end=end)
                share = schedule_overlap(req, facts, at)
                return 1.0 if share is None else share

            fits = self.availabilities.table(overlap, np.float64) >= weights.min_schedule_overlap
            cut("schedule", fits[c.availability[:n]])
        # Skills last, and only for the people every other filter kept.
        points = self.skill_points(req.skill_ids, weights, remaining)
        cut("skills", points > 0)
        chosen = np.flatnonzero(remaining)
        scores = self._scores(req, chosen, points, weights)
        best = self._best(chosen, scores, limit)
        ranked = []
        for row, score in best:
            record = self.record(row)
            matches = skill_matches(req.skill_ids, record.skills, record.aliases, self.graph)
            ranked.append(
                Ranked(
                    record.user_id, record.display_name, score, explain(req, record, matches, self.graph, weights, at)
                )
            )
        return ranked, counts

    def _scores(self, req: Requirements, rows: IntArray, points: FloatArray, weights: Weights) -> FloatArray:
        c = self.cols
        unique = len(dict.fromkeys(req.skill_ids))
        shares: dict[str, FloatArray] = {"skills": points[rows] / unique if unique else points[rows] * 0.0}
        criteria = applicable(req, weights)
        if "occupation" in criteria:
            by_digits = weights.noc.by_shared_digits()
            table = self.nocs.table(lambda code: by_digits[shared_noc_digits(req.noc, code)], np.float64)
            shares["occupation"] = table[c.noc[rows]]
        if "industry" in criteria:
            naics = weights.naics_by_digits()
            table = self.naics.table(lambda code: naics[shared_naics_digits(req.naics, code)], np.float64)
            shares["industry"] = table[c.naics[rows]]
        if "classification" in criteria:
            table = self.classifications.table(
                lambda gl: classification_share(
                    req, CandidateFacts(classification_group=gl[0], classification_level=gl[1]), weights
                ),
                np.float64,
            )
            shares["classification"] = table[c.classification[rows]]
        if "location" in criteria:
            table = self.places.table(
                lambda pc: location_share(req, CandidateFacts(province=pc[0], city=pc[1]), weights), np.float64
            )
            shares["location"] = table[c.place[rows]]
        if "availability" in criteria:
            top = int(c.hours[: self.size].max(initial=0))
            table = np.array(
                [availability_share(req, CandidateFacts(hours_per_week=h)) for h in range(top + 1)], np.float64
            )
            shares["availability"] = table[np.maximum(c.hours[rows], 0)]
        total = np.zeros(len(rows))
        term = np.empty(len(rows))
        weight = 0.0
        for criterion in criteria:
            np.multiply(shares[criterion], weights.criterion(criterion), out=term)
            total += term
            weight += weights.criterion(criterion)
        if weight:
            total /= weight
        return total

    def _best(self, rows: IntArray, scores: FloatArray, limit: int) -> list[tuple[int, float]]:
        """The `limit` best rows by (score desc, name, user id), as ranking.order_key orders."""
        if len(rows) > limit:
            threshold = -np.partition(-scores, limit - 1)[limit - 1]
            above = np.flatnonzero(scores > threshold)
            ties = np.flatnonzero(scores == threshold)
            need = limit - len(above)
            if len(ties) > _TIE_SORT_IN_PYTHON:
                # Names sharing no prefix with the need-th smallest are decided by the prefix.
                keys = self.cols.name_key[rows[ties]]
                kth = np.partition(keys, need - 1)[need - 1]
                ties = np.concatenate((ties[keys < kth], ties[keys == kth]))
            positions = np.concatenate((above, ties))
        else:
            positions = np.arange(len(rows))
        meta = self.meta
        pairs = [(int(rows[p]), float(scores[p])) for p in positions]

        def key(pair: tuple[int, float]) -> tuple[float, str, str]:
            m = meta[pair[0]]
            assert m is not None
            return order_key(pair[1], m.display_name, m.user_id)

        pairs.sort(key=key)
        return pairs[:limit]


# --- snapshots -------------------------------------------------------------------------------------
# A new api replica starts from a snapshot of an index instead of reading a million documents
# (see matching/snapshots.py). Only numpy arrays and JSON go in one, never pickles.

SNAPSHOT_FORMAT = 1
_SNAPSHOT_CHUNK = 50_000  # rows turned into arrays per step: each step holds the GIL only briefly
_NO_CUSTOM: Mapping[str, str] = MappingProxyType({})
_PostingsCopy = tuple[NDArray[np.int32], NDArray[np.int32], int]  # rows, generations, stale


@dataclass(frozen=True)
class FrozenIndex:
    """A CandidateIndex as it was at one moment: copies of its numpy arrays, and references to
    what it only ever replaces, never changes in place (rows, vocabularies' values, labels, the
    taxonomy). Cheap to take; `arrays()`, the slow part, can then run on another thread while
    the index goes on changing."""

    size: int
    dense_min: int
    dense_share: int
    columns: dict[str, NDArray[Any]]
    meta: list[_Row | None]
    vocabularies: dict[str, list[Any]]
    skill_labels: dict[str, Mapping[str, str]]
    opt_in_bits: dict[tuple[str, str], int]
    exact: dict[int, _PostingsCopy]
    alias: dict[int, _PostingsCopy]
    dense: list[int]
    graph: SkillGraph

    def arrays(self) -> dict[str, NDArray[Any]]:
        """Named numpy arrays (JSON text as bytes where the values are strings), for np.savez."""
        out: dict[str, NDArray[Any]] = {f"col.{name}": column for name, column in self.columns.items()}
        counts, flat, custom = [], [], {}
        chunks = 0
        for start in range(0, self.size, _SNAPSHOT_CHUNK):
            rows = [m for m in self.meta[start : start + _SNAPSHOT_CHUNK] if m is not None]
            assert len(rows) == min(_SNAPSHOT_CHUNK, self.size - start), "a row half written"
            out[f"ids.{chunks}"] = _json_bytes([m.user_id for m in rows])
            out[f"names.{chunks}"] = _json_bytes([m.display_name for m in rows])
            counts.append(np.fromiter((len(m.skill_ids) for m in rows), np.int32, len(rows)))
            flat.append(np.fromiter(chain.from_iterable(m.skill_ids for m in rows), np.int32))
            custom.update({str(start + i): dict(m.custom) for i, m in enumerate(rows) if m.custom})
            chunks += 1
        out["skill_counts"] = np.concatenate(counts) if counts else np.zeros(0, np.int32)
        out["skill_ids"] = np.concatenate(flat) if flat else np.zeros(0, np.int32)
        for name, lists in (("exact", self.exact), ("alias", self.alias)):
            skills = sorted(lists)
            out[f"{name}.skills"] = np.array(skills, np.int32)
            out[f"{name}.sizes"] = np.array([len(lists[s][0]) for s in skills], np.int64)
            out[f"{name}.stale"] = np.array([lists[s][2] for s in skills], np.int64)
            out[f"{name}.rows"] = np.concatenate([lists[s][0] for s in skills] or [np.zeros(0, np.int32)])
            out[f"{name}.gens"] = np.concatenate([lists[s][1] for s in skills] or [np.zeros(0, np.int32)])
        header = {
            "format": SNAPSHOT_FORMAT,
            "size": self.size,
            "chunks": chunks,
            "dense_min": self.dense_min,
            "dense_share": self.dense_share,
            "vocabularies": self.vocabularies,
            "skill_labels": self.skill_labels,
            "opt_in_bits": [[kind, role, bit] for (kind, role), bit in self.opt_in_bits.items()],
            "custom": custom,
            "dense": self.dense,
            "graph": {
                "labels": self.graph.labels,
                "names": self.graph.names,
                "related": {k: sorted(v) for k, v in self.graph.related.items()},
            },
        }
        out["header"] = _json_bytes(header)
        return out


def _json_bytes(value: Any) -> NDArray[np.uint8]:
    return np.frombuffer(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), np.uint8)


def _from_json_bytes(array: NDArray[Any]) -> Any:
    return json.loads(array.tobytes().decode())


# How each vocabulary's values come back from JSON (lists become tuples again).
_VOCABULARY_VALUES: dict[str, Callable[[Any], Any]] = {
    "skills": str,
    "departments": str,
    "provinces": str,
    "nocs": str,
    "naics": str,
    "places": lambda v: (v[0], v[1]),
    "availabilities": lambda v: (v[0], tuple(v[1]), v[2], v[3]),
    "classifications": lambda v: (v[0], v[1]),
}


def _freeze(index: CandidateIndex) -> FrozenIndex:
    n = index.size
    c = index.cols

    def postings(lists: dict[int, _Postings]) -> dict[int, _PostingsCopy]:
        return {s: (p.rows[: p.size].copy(), p.gens[: p.size].copy(), p.stale) for s, p in lists.items()}

    return FrozenIndex(
        size=n,
        dense_min=index.dense_min,
        dense_share=index.dense_share,
        columns={name: getattr(c, name)[:n].copy() for name in c.__dataclass_fields__},
        meta=list(index.meta),
        vocabularies={name: list(getattr(index, name).values) for name in _VOCABULARY_VALUES},
        skill_labels=dict(index.skill_labels),
        opt_in_bits=dict(index.opt_in_bits),
        exact=postings(index.exact),
        alias=postings(index.alias),
        dense=sorted(index.dense),
        graph=index.graph,
    )


def _thaw(arrays: Mapping[str, NDArray[Any]]) -> CandidateIndex:
    header = _from_json_bytes(arrays["header"])
    if header.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"snapshot format {header.get('format')!r}, this index reads {SNAPSHOT_FORMAT}")
    n = int(header["size"])
    g = header["graph"]
    graph = SkillGraph(g["labels"], g["names"], {k: frozenset(v) for k, v in g["related"].items()})
    index = CandidateIndex(
        capacity=max(1024, n), graph=graph, dense_min=header["dense_min"], dense_share=header["dense_share"]
    )
    index.size = n
    for name in index.cols.__dataclass_fields__:
        getattr(index.cols, name)[:n] = arrays[f"col.{name}"]
    for name, value in _VOCABULARY_VALUES.items():
        setattr(index, name, Vocabulary.restore([value(v) for v in header["vocabularies"][name]]))
    index.skill_labels = header["skill_labels"]
    index.opt_in_bits = {(kind, role): bit for kind, role, bit in header["opt_in_bits"]}
    ids: list[str] = []
    names: list[str] = []
    for k in range(header["chunks"]):
        ids.extend(_from_json_bytes(arrays[f"ids.{k}"]))
        names.extend(_from_json_bytes(arrays[f"names.{k}"]))
    offsets = np.concatenate(([0], np.cumsum(arrays["skill_counts"]))).tolist()
    flat = arrays["skill_ids"].tolist()
    custom = {int(row): names_ for row, names_ in header["custom"].items()}
    index.meta = [
        _Row(ids[i], names[i], tuple(flat[offsets[i] : offsets[i + 1]]), custom.get(i, _NO_CUSTOM)) for i in range(n)
    ]
    index.rows = {user_id: i for i, user_id in enumerate(ids)}
    index.with_custom = set(custom)
    for name in ("exact", "alias"):
        lists: dict[int, _Postings] = {}
        ends = np.cumsum(arrays[f"{name}.sizes"]).tolist()
        rows, gens = arrays[f"{name}.rows"], arrays[f"{name}.gens"]
        start = 0
        for skill, end, stale in zip(
            arrays[f"{name}.skills"].tolist(), ends, arrays[f"{name}.stale"].tolist(), strict=True
        ):
            p = lists[skill] = _Postings()
            # Spare room at the end, as compaction leaves it, so the next entry has a place.
            p.rows = np.concatenate((rows[start:end], np.zeros(8, np.int32)))
            p.gens = np.concatenate((gens[start:end], np.zeros(8, np.int32)))
            p.size, p.stale = end - start, stale
            start = end
        setattr(index, name, lists)
    for skill in header["dense"]:
        index._make_dense(skill, index.exact[skill])
    return index
