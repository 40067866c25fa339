"""Everything a profile is checked against, loaded once per process."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass

from profiles.domain.codes import CodeList, OccupationalGroups, Text, load_groups, load_naics, load_noc, load_provinces
from profiles.domain.taxonomy import Taxonomy


@dataclass(frozen=True)
class ReferenceData:
    taxonomy: Taxonomy
    noc: CodeList
    naics: CodeList
    groups: OccupationalGroups
    provinces: dict[str, Text]
    time_zones: frozenset[str]

    def code_list(self, system: str) -> CodeList | None:
        return {self.noc.system: self.noc, self.naics.system: self.naics}.get(system)


@functools.cache
def load_reference() -> ReferenceData:
    return ReferenceData(
        taxonomy=Taxonomy.load(),
        noc=load_noc(),
        naics=load_naics(),
        groups=load_groups(),
        provinces=load_provinces(),
        time_zones=frozenset(zoneinfo.available_timezones()),
    )
