"""Repo-wide checks of what people read.

1. Every catalogue (messages.yaml, texts.yaml, templates.yaml under services/, gateway/ and web/;
   the web pages' gettext catalogue has its own test in tests/web/)
   has English and French for every entry, neither empty, with the same `{placeholders}`.
2. Every message code that Python code passes to FieldCollector.add, InvalidInput.one,
   FieldError or a DomainError (Refused, Forbidden, NotFound, Conflict, Unauthenticated) as a
   string literal is in its package's messages.yaml or in the kit's, and the call supplies every
   placeholder the message needs (a missing one would crash rendering in the gRPC interceptor).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
TOPS = ("services", "gateway", "web")
CATALOGUE_NAMES = ("messages.yaml", "texts.yaml", "templates.yaml")
KIT_MESSAGES = ROOT / "services" / "kit" / "tandem_kit" / "messages.yaml"
LANGUAGES = ("en", "fr")
SKIPPED_DIRS = {"tests", "node_modules", "__pycache__", ".venv"}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def catalogue_files() -> list[Path]:
    found = {
        path
        for top in TOPS
        for name in CATALOGUE_NAMES
        for path in (ROOT / top).glob(f"**/{name}")
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
    }
    return sorted(found)


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def placeholders(text: str) -> set[str]:
    """The names a `str.format` template needs; raises ValueError on unbalanced braces."""
    names = set()
    for _, field_name, _, _ in string.Formatter().parse(text):
        if field_name is not None:
            names.add(re.split(r"[.\[]", field_name, maxsplit=1)[0])
    return names


def translation_problems(code: str, texts: dict[str, Any]) -> Iterator[str]:
    """Compare one entry's English and French: plain texts, or mappings of texts (templates)."""
    en, fr = texts.get("en"), texts.get("fr")
    for lang, value in (("en", en), ("fr", fr)):
        if value is None:
            yield f"{code}: no {lang}"
    if en is None or fr is None:
        return
    if isinstance(en, Mapping) or isinstance(fr, Mapping):
        if not (isinstance(en, Mapping) and isinstance(fr, Mapping)):
            yield f"{code}: en and fr have different shapes"
            return
        if set(en) != set(fr):
            yield f"{code}: en has parts {sorted(en)}, fr has {sorted(fr)}"
        pairs = [(f"{code}.{part}", en.get(part), fr.get(part)) for part in sorted(set(en) | set(fr))]
    else:
        pairs = [(code, en, fr)]
    for name, en_text, fr_text in pairs:
        found: dict[str, set[str]] = {}
        for lang, text in (("en", en_text), ("fr", fr_text)):
            if text is None:
                continue  # reported above as a missing part
            if not isinstance(text, str):
                yield f"{name}: {lang} is {type(text).__name__} {text!r}, not text"
            elif not text.strip():
                yield f"{name}: {lang} is empty"
            else:
                try:
                    found[lang] = placeholders(text)
                except ValueError as exc:
                    yield f"{name}: {lang} has unbalanced braces ({exc})"
                    continue
                if "" in found[lang]:
                    yield f"{name}: {lang} has a positional {{}} placeholder; name it"
        if len(found) == 2 and found["en"] != found["fr"]:
            yield f"{name}: placeholders differ: en {sorted(found['en'])}, fr {sorted(found['fr'])}"


def catalogue_problems(path: Path) -> list[str]:
    raw = load_yaml(path)
    if not isinstance(raw, Mapping) or not raw:
        return [f"{rel(path)} is not a non-empty mapping of entries"]
    problems = []
    for code, texts in raw.items():
        if not isinstance(texts, Mapping):
            problems.append(f"{code}: not a mapping with en and fr")
            continue
        problems.extend(translation_problems(str(code), dict(texts)))
    return problems


def test_catalogue_discovery_finds_every_kind_of_catalogue() -> None:
    found = {rel(p) for p in catalogue_files()}

    assert {
        "services/kit/tandem_kit/messages.yaml",
        "services/notifications/notifications/templates.yaml",
        "gateway/tandem_gateway/messages.yaml",
    } <= found
    for package in service_packages():
        if package.parts[-3] == "services":
            assert rel(package / "messages.yaml") in found


@pytest.mark.parametrize("path", catalogue_files(), ids=rel)
def test_catalogue_has_english_and_french_with_the_same_placeholders(path: Path) -> None:
    problems = catalogue_problems(path)

    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"en": "Hi {name}", "fr": "Salut {nom}"}, "placeholders differ"),
        ({"en": "Hi"}, "no fr"),
        ({"en": "Hi", "fr": "  "}, "fr is empty"),
        ({"en": "Hi {", "fr": "Salut"}, "unbalanced braces"),
        ({"en": "Hi {}", "fr": "Salut {}"}, "positional"),
        ({"en": {"subject": "S {t}", "body": "B"}, "fr": {"subject": "S {t}"}}, "fr has ['subject']"),
        ({"en": {"subject": "S {t}", "body": "B"}, "fr": {"subject": "S", "body": "B"}}, "placeholders differ"),
    ],
)
def test_catalogue_check_catches(entry: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in translation_problems("x", entry))


# --- message codes used in code ---------------------------------------------------------------

DOMAIN_ERRORS = {"DomainError", "Refused", "Forbidden", "NotFound", "Conflict", "Unauthenticated"}


@dataclass(frozen=True)
class CodeUse:
    path: Path
    line: int
    code: str
    # The parameter names the call passes; None when they can't be read statically.
    params: frozenset[str] | None

    def where(self) -> str:
        return f"{rel(self.path)}:{self.line}"


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.AST | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _keyword_params(call: ast.Call, skip: set[str]) -> frozenset[str] | None:
    if any(k.arg is None for k in call.keywords):  # **params
        return None
    return frozenset(k.arg for k in call.keywords if k.arg is not None and k.arg not in skip)


def _dict_params(node: ast.AST | None) -> frozenset[str] | None:
    if node is None:
        return frozenset()
    if isinstance(node, ast.Dict) and all(_literal(k) is not None for k in node.keys if k is not None):
        if any(k is None for k in node.keys):  # {**other}
            return None
        return frozenset(_literal(k) or "" for k in node.keys)
    return None


def _collector_names(tree: ast.AST) -> set[str]:
    """Names bound to a FieldCollector: `x = FieldCollector()` or a parameter `x: FieldCollector`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            if _name(node.value.func) == "FieldCollector":
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n for n in map(_name, targets) if n)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            annotation = node.annotation
            text = annotation.value if isinstance(annotation, ast.Constant) else ast.unparse(annotation)
            if str(text).split(".")[-1] == "FieldCollector":
                names.add(node.arg)
    return names


def code_uses(path: Path, source: str | None = None) -> Iterator[CodeUse]:
    if source is None:
        source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    collectors = _collector_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, called = node.func, _name(node.func)
        code_node: ast.AST | None = None
        params: frozenset[str] | None = frozenset()
        if called in DOMAIN_ERRORS:
            code_node = _arg(node, 0, "code")
            params = _dict_params(_arg(node, 1, "params"))
        elif called == "FieldError":
            code_node = _arg(node, 1, "code")
            params = _dict_params(_arg(node, 2, "params"))
        elif isinstance(func, ast.Attribute) and (
            (func.attr == "one" and _name(func.value) == "InvalidInput")
            or (func.attr == "add" and _name(func.value) in collectors)
        ):
            code_node = _arg(node, 1, "code")
            params = _keyword_params(node, {"field_name", "code"})
        code = _literal(code_node)
        if code is not None:
            yield CodeUse(path, node.lineno, code, params)


def service_packages() -> list[Path]:
    """Python packages that hold a service's (or the gateway's or web's) code."""
    packages = []
    for top in TOPS:
        for init in (ROOT / top).glob("**/__init__.py"):
            package = init.parent
            parts = set(package.relative_to(ROOT).parts)
            # Only top-level packages: a subpackage belongs to the package above it.
            if not SKIPPED_DIRS & parts and not (package.parent / "__init__.py").exists():
                packages.append(package)
    return sorted(packages)


def package_catalogue(package: Path) -> dict[str, Any]:
    """The messages a package's api renders: the kit's, overridden by the package's own."""
    messages = dict(load_yaml(KIT_MESSAGES))
    own = package / "messages.yaml"
    if own.exists() and own != KIT_MESSAGES:
        messages.update(load_yaml(own) or {})
    return messages


def package_code_uses(package: Path) -> list[CodeUse]:
    return [
        use
        for path in sorted(package.glob("**/*.py"))
        if not SKIPPED_DIRS & set(path.relative_to(package).parts)
        for use in code_uses(path)
    ]


def test_code_scan_finds_every_kind_of_call() -> None:
    # Guards the next test against passing because it looks at nothing.
    uses = {
        (package.name, use.code, use.params) for package in service_packages() for use in package_code_uses(package)
    }

    assert ("opportunities", "date.past", frozenset()) in uses  # FieldCollector.add
    assert ("opportunities", "openings.range", frozenset({"max"})) in uses  # ... with params
    assert ("referrals", "user_id.required", frozenset()) in uses  # InvalidInput.one
    assert ("opportunities", "cancel.has_participants", frozenset()) in uses  # Refused
    assert ("opportunities", "opportunity.not_poster", frozenset()) in uses  # Forbidden
    assert ("identity", "account.not_found", frozenset()) in uses  # NotFound
    assert ("identity", "username.exhausted", frozenset()) in uses  # Conflict
    assert ("identity", "signin.failed", frozenset()) in uses  # Unauthenticated


def test_code_scan_reads_collectors_params_and_keywords() -> None:
    source = (
        "def f(errors: FieldCollector, other: 'FieldCollector'):\n"
        "    mine = FieldCollector()\n"
        "    mine.add('a', 'one.code', max=1)\n"
        "    errors.add('b', code='two.code')\n"
        "    other.add('c', 'three.code', **kw)\n"
        "    seen.add('x', 'not.a.collector')\n"
        "    raise Refused('four.code', {'n': 1})\n"
    )
    uses = list(code_uses(Path("example.py"), source))

    assert {(u.code, u.params) for u in uses} == {
        ("one.code", frozenset({"max"})),
        ("two.code", frozenset()),
        ("three.code", None),
        ("four.code", frozenset({"n"})),
    }


@pytest.mark.parametrize("package", service_packages(), ids=rel)
def test_every_message_code_used_in_code_is_in_the_catalogue_with_its_params(package: Path) -> None:
    catalogue = package_catalogue(package)
    problems = []
    for use in package_code_uses(package):
        texts = catalogue.get(use.code)
        if texts is None:
            own = rel(package / "messages.yaml")
            problems.append(f"{use.where()}: {use.code!r} is in neither {own} nor the kit's messages.yaml")
            continue
        if use.params is None:
            continue
        needed = set().union(*(placeholders(str(texts[lang])) for lang in LANGUAGES)) - use.params
        if needed:
            problems.append(f"{use.where()}: {use.code!r} needs {sorted(needed)}, which the call does not pass")

    assert not problems, "\n".join(problems)
