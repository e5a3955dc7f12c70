"""`import_billing` progress: a bar on a terminal; anywhere else (cron, CI, `docker logs`)
plain lines with phase, percent and bytes, never carriage returns or escape codes."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from integrations.billing.cli import LineProgress, TqdmProgress, cli_progress
from lk_core.billing.importing.progress import ImportProgress
from tests.billing.conftest import ENSKVODA, table_counts

LINE = re.compile(r"^import_billing: ([\w.]+) (\d+)% \(\d+(?:\.\d)? [KMG]?B of "
                  r"\d+(?:\.\d)? [KMG]?B, \d+\.\d s\)$")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_import_command_prints_progress_lines_when_not_a_terminal(in_tenant_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_billing", "alpha", str(ENSKVODA), stdout=out, stderr=err)
    assert table_counts()["Account"] == 60
    text = err.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    phases = [m.group(1) for m in parsed]
    percents = [int(m.group(2)) for m in parsed]
    assert phases[0] == "stage" and phases[-1] == "done" and percents[-1] == 100
    assert {"accounts.csv", "charges.csv", "check", "apply"} <= set(phases)
    assert percents == sorted(percents)  # bytes only move forward
    # A line per phase and per 5 %: a bounded log, not one line per chunk.
    assert len(lines) <= len(set(phases)) + 100 // 5 + 2
    assert "Import #" in out.getvalue() and "import_billing:" not in out.getvalue()


def test_no_progress_prints_nothing(in_tenant_a):
    err = io.StringIO()
    call_command("import_billing", "alpha", str(ENSKVODA), "--dry-run", "--no-progress",
                 stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_a_terminal_gets_the_bar():
    assert isinstance(cli_progress(Terminal()), TqdmProgress)
    assert isinstance(cli_progress(io.StringIO()), LineProgress)
    assert type(cli_progress(Terminal(), enabled=False)) is ImportProgress


def test_lines_every_five_percent_and_every_few_seconds():
    now = [0.0]
    stream = io.StringIO()
    progress = LineProgress(stream, clock=lambda: now[0], every_seconds=10)
    progress.start(total_bytes=10_000_000)
    progress.phase("charges")
    for _ in range(100):  # 1 % a step, quickly
        progress.advance(100_000)
    fast = stream.getvalue().splitlines()
    assert [line.split()[2] for line in fast] == ["0%", "0%"] + [
        f"{p}%" for p in range(5, 101, 5)]
    assert fast[-1] == "import_billing: charges 100% (10.0 MB of 10.0 MB, 0.0 s)"

    stream.truncate(0), stream.seek(0)
    progress.start(total_bytes=10_000_000)
    for _ in range(3):  # slow: 1 % every 4 s -> a line at least every 10 s
        now[0] += 4
        progress.advance(100_000)
    slow = stream.getvalue().splitlines()
    assert [line.split()[2] for line in slow] == ["0%", "3%"]
    progress.finish()
    assert stream.getvalue().splitlines()[-1].startswith("import_billing: done 3% ")
