"""Reference data shipped with identity: the federal departments and agencies (bilingual, with
stable codes), the Government of Canada email domains, and the current terms and conditions.
Loaded once from `identity/data/`; lookups are pure."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Department:
    code: str
    en: str
    fr: str

    def name(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


class Departments:
    def __init__(self, departments: Iterable[Department]):
        self.all = tuple(departments)
        self.by_code = {d.code: d for d in self.all}
        if len(self.by_code) != len(self.all):
            raise ValueError("department codes must be unique")

    @classmethod
    def load(cls, path: Path = DATA / "departments.yaml") -> Departments:
        with path.open(encoding="utf-8") as f:
            rows = yaml.safe_load(f)
        return cls(Department(str(r["code"]), str(r["en"]), str(r["fr"])) for r in rows)

    def get(self, code: str) -> Department | None:
        return self.by_code.get(code)


class GovernmentDomains:
    """Email domains of the Government of Canada; a domain admits its subdomains."""

    def __init__(self, domains: Iterable[str]):
        self.domains = tuple(sorted({d.strip().lower().lstrip(".") for d in domains if d.strip()}))

    @classmethod
    def load(cls, path: Path | None = None) -> GovernmentDomains:
        path = path or Path(os.environ.get("IDENTITY_GC_EMAIL_DOMAINS_FILE") or DATA / "gc_email_domains.yaml")
        with path.open(encoding="utf-8") as f:
            return cls(str(d) for d in yaml.safe_load(f) or ())

    def admits(self, email: str) -> bool:
        domain = email.rpartition("@")[2].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.domains)


@dataclass(frozen=True)
class Terms:
    version: str
    url_en: str
    url_fr: str

    @classmethod
    def load(cls, path: Path = DATA / "terms.yaml") -> Terms:
        with path.open(encoding="utf-8") as f:
            raw = yaml.safe_load(f)
        return cls(str(raw["version"]), str(raw["url"]["en"]), str(raw["url"]["fr"]))


@cache
def departments() -> Departments:
    return Departments.load()


@cache
def government_domains() -> GovernmentDomains:
    return GovernmentDomains.load()


@cache
def terms() -> Terms:
    return Terms.load()
