"""The browser UI speaks English and Spanish from message catalogs (static/src/i18n): these
fail when a key is in one language and not the other, when a translation drops a value it
should show, and when a component shows text of its own instead of a catalog's."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"
CATALOGS = STATIC / "src" / "i18n"
LANGS = ("en", "es")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def entries(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted key, message) of a catalog."""
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from entries(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def catalog(lang: str, namespace: str) -> dict[str, Any]:
    return dict(entries(json.loads((CATALOGS / lang / f"{namespace}.json").read_text("utf-8"))))


NAMESPACES = sorted(path.stem for path in (CATALOGS / "en").glob("*.json"))


def test_both_languages_have_the_same_namespaces() -> None:
    assert NAMESPACES, "no catalogs in static/src/i18n/en"
    for lang in LANGS:
        assert sorted(p.stem for p in (CATALOGS / lang).glob("*.json")) == NAMESPACES, lang


def mismatches(en: dict[str, Any], es: dict[str, Any]) -> list[str]:
    """What keeps two catalogs of one namespace from being the same messages."""
    found = [f"{key}: missing in Spanish" for key in sorted(set(en) - set(es))]
    found += [f"{key}: missing in English" for key in sorted(set(es) - set(en))]
    for key in sorted(set(en) & set(es)):
        if not all(isinstance(text, str) and text.strip() for text in (en[key], es[key])):
            found.append(f"{key}: empty")
        elif set(PLACEHOLDER.findall(en[key])) != set(PLACEHOLDER.findall(es[key])):
            found.append(f"{key}: shows {{{{…}}}} values in one language the other lacks")
    return found


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_key_is_in_both_languages_with_the_same_values_shown(namespace: str) -> None:
    assert mismatches(catalog("en", namespace), catalog("es", namespace)) == []


def test_a_missing_key_an_empty_text_or_a_dropped_value_is_caught() -> None:
    en = {"a.b": "Train", "c": "{{n}} params", "d": "Stop"}
    es = {"c": "parámetros", "d": " ", "e": "sobra"}
    assert mismatches(en, es) == ["a.b: missing in Spanish", "e: missing in English",
                                  "c: shows {{…}} values in one language the other lacks",
                                  "d: empty"]


def test_components_show_no_text_of_their_own() -> None:
    assert shutil.which("node"), "Node.js is needed to build the UI"
    if not (STATIC / "node_modules" / "typescript").exists():
        pytest.fail("static/node_modules is missing: run `make ui` first")
    found = subprocess.run(["node", "scripts/hardcoded-text.mjs"], cwd=STATIC,
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, f"text outside the catalogs:\n{found.stdout}{found.stderr}"
