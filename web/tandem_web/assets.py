"""Build-time: copy the GC Design System, its fonts and htmx from `web/node_modules` into
`tandem_web/static`, with the CSS rewritten so every font comes from this site.

Run by `make install` after `npm ci` (`python -m tandem_web.assets`). Nothing is served from
`node_modules`, and the build fails if any URL outside the site is left in what it copied.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
WEB = HERE.parent
NODE_MODULES = WEB / "node_modules"
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"

GCDS = NODE_MODULES / "@gcds-core" / "components" / "dist" / "gcds"
FONTS = NODE_MODULES / "@gcds-core" / "fonts" / "fonts"
HTMX = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"

# The font families gcds.css asks Google Fonts for, and the icon font it asks the GC CDN for.
_REMOTE_IMPORT = re.compile(r"@import url\(\"?https://fonts\.googleapis\.com/[^)]*\)\s*;")
_REMOTE_ICON_TTF = re.compile(
    r"url\([\"']?https://cdn\.design-system\.canada\.ca/[^)]*/gcds-icons\.ttf[\"']?\) format\(\"truetype\"\),"
)
_REMOTE_ICON_WOFF = re.compile(r"url\([\"']?https://cdn\.design-system\.canada\.ca/[^)]*/gcds-icons\.woff[\"']?\)")
_FONT_PLACEHOLDER = re.compile(r"path/to/file/|<path-to-file>/")
_ANY_REMOTE = re.compile(r"url\((['\"]?)(https?:)?//")


def _font_faces() -> str:
    """The @font-face rules of every GC font, pointed at the copies under `vendor/fonts/`."""
    rules = []
    for family in ("lato", "noto-sans", "noto-sans-mono", "icons"):
        css = (FONTS / family / f"gcds-{family}.css").read_text(encoding="utf-8")
        css = _FONT_PLACEHOLDER.sub(f"fonts/{family}/", css)
        if family == "icons":
            # Only the format every supported browser reads; the package has no woff2 of it.
            css = re.sub(
                r"src: url\(\"fonts/icons/gcds-icons\.eot\"\);\s*src:[^;]*;",
                'src: url("fonts/icons/gcds-icons.woff") format("woff");',
                css,
            )
        rules.append(css)
    return "\n".join(rules)


def rewrite_gcds_css(css: str) -> str:
    css = _REMOTE_IMPORT.sub("", css)
    css = _REMOTE_ICON_TTF.sub("", css)
    css = _REMOTE_ICON_WOFF.sub('url("fonts/icons/gcds-icons.woff")', css)
    return _font_faces() + "\n" + css


def build() -> list[str]:
    """Copy and rewrite; returns the problems found (empty when the build is good)."""
    missing = [str(p) for p in (GCDS, FONTS, HTMX) if not p.exists()]
    if missing:
        return [f"missing {p}: run `npm ci` in web/ first" for p in missing]
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    (VENDOR / "gcds").mkdir(parents=True)
    for js in GCDS.glob("*.js"):
        shutil.copy2(js, VENDOR / "gcds" / js.name)
    css = rewrite_gcds_css((GCDS / "gcds.css").read_text(encoding="utf-8"))
    (VENDOR / "gcds" / "gcds.css").write_text(css, encoding="utf-8")
    for family in ("lato", "noto-sans", "noto-sans-mono", "icons"):
        target = VENDOR / "gcds" / "fonts" / family
        target.mkdir(parents=True)
        for font in (FONTS / family).iterdir():
            if font.suffix in (".woff", ".woff2") or font.name == "LICENSE.txt":
                shutil.copy2(font, target / font.name)
    (VENDOR / "js").mkdir()
    shutil.copy2(HTMX, VENDOR / "js" / "htmx.min.js")
    return check()


def check() -> list[str]:
    """Everything copied loads from this site: no remote URL in a stylesheet, and every local
    font the stylesheet names is there."""
    problems = []
    css_path = VENDOR / "gcds" / "gcds.css"
    css = css_path.read_text(encoding="utf-8")
    if _ANY_REMOTE.search(css) or "@import" in css:
        problems.append(f"{css_path} still loads something from outside the site")
    for ref in set(re.findall(r"url\(\"(fonts/[^\")#?]+)", css)):
        if not (css_path.parent / ref).exists():
            problems.append(f"{css_path} names {ref}, which was not copied")
    return problems


def main() -> int:
    problems = build()
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"web assets built in {VENDOR}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
