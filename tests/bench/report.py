"""Benchmarks write their results into docs/performance.md, each into its own section
between markers, so one benchmark's run leaves the others' numbers in place."""

from __future__ import annotations

import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

PERFORMANCE_MD = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
HEADER = """# Performance

Numbers measured on the project's reference machine (2 cores, 24 GiB, Debian) by the
benchmarks in `tests/bench/`, each against a baseline measured in the same run. Run them
all with `make bench` (or one file: `.venv/bin/python -m pytest tests/bench/FILE -m bench
-s`). Each section below is rewritten by its benchmark.
"""


def machine() -> str:
    """The CPU architecture and the interpreter, with the binary the venv was made from:
    the same Python version runs this code 15-20% faster as Debian builds it (profile-guided,
    statically linked) than built from source without optimisation (Makefile: PYTHON)."""
    interpreter = os.path.realpath(sys.executable)
    return f"{platform.machine()}, Python {platform.python_version()} (`{interpreter}`)"


def write_section(name: str, title: str, body: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"<!-- bench:{name} -->\n## {title}\n\n_Measured {stamp} on {machine()}._\n\n"
               f"{body.strip()}\n<!-- /bench:{name} -->")
    text = PERFORMANCE_MD.read_text(encoding="utf-8") if PERFORMANCE_MD.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->",
                         re.S)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + section + "\n")
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    PERFORMANCE_MD.write_text(text, encoding="utf-8")
