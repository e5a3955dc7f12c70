"""Russian catalogs: complete, compiled, and consistent across apps (Django merges every
app's catalog, so one msgid translated two ways would show one of them at random)."""

from __future__ import annotations

import ast
import re
import subprocess
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.M)


def _catalogs() -> list[Path]:
    return [p for p in ROOT.rglob("locale/ru/LC_MESSAGES/django.po")
            if ".venv" not in p.parts and "var" not in p.parts]


def _entries(path: Path):
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"' not in block:
            yield "FUZZY", block, ""
            continue
        match = ENTRY.search(block + "\n")
        if match and "msgid_plural" not in block:
            msgid = "".join(ast.literal_eval(line) for line in match.group(1).splitlines())
            msgstr = "".join(ast.literal_eval(line) for line in match.group(2).splitlines())
            if msgid:
                yield msgid, msgstr, block


def test_every_app_has_a_russian_catalog_and_it_is_complete():
    catalogs = _catalogs()
    assert len(catalogs) >= 5
    untranslated = [(str(p.relative_to(ROOT)), msgid) for p in catalogs
                    for msgid, msgstr, _ in _entries(p) if not msgstr]
    assert untranslated == []


def test_one_msgid_has_one_translation_across_apps():
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in _catalogs():
        for msgid, msgstr, _ in _entries(path):
            if msgid != "FUZZY":
                seen[msgid][msgstr].append(str(path.relative_to(ROOT)))
    conflicts = {msgid: dict(by) for msgid, by in seen.items() if len(by) > 1}
    assert conflicts == {}


def test_compiled_catalogs_match_their_sources(tmp_path):
    for path in _catalogs():
        compiled = path.with_suffix(".mo")
        assert compiled.exists(), path
        fresh = tmp_path / "fresh.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(path)], check=True)
        assert fresh.read_bytes() == compiled.read_bytes(), f"recompile {path}"
