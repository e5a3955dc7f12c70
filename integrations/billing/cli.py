"""The command-line adapter: progress (a tqdm bar on a terminal, plain lines otherwise)
and a printed summary."""

from __future__ import annotations

import time
from typing import TextIO

from tqdm import tqdm

from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.models import ImportRun


class TqdmProgress(ImportProgress):
    """A bar redrawn in place: for a terminal only (elsewhere its carriage returns and
    escape codes end up in the log)."""

    def __init__(self, *, enabled: bool = True, file: TextIO | None = None):
        self.bar: tqdm | None = None
        self.enabled = enabled
        self.file = file

    def start(self, *, total_bytes: int) -> None:
        self.bar = tqdm(total=total_bytes, unit="B", unit_scale=True, disable=not self.enabled,
                        desc="stage", file=self.file)

    def advance(self, nbytes: int) -> None:
        if self.bar is not None:
            self.bar.update(nbytes)

    def phase(self, name: str) -> None:
        if self.bar is not None:
            self.bar.set_description(name)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1000 or unit == "GB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return ""


class LineProgress(ImportProgress):
    """Progress for logs (cron, CI, `docker logs`): one plain line per phase, then at every
    `step_percent` of the bytes and at least every `every_seconds` while bytes move, e.g.
    `import_billing: accounts 35% (12.3 MB of 35.0 MB, 4.2 s)`."""

    def __init__(self, stream: TextIO, *, step_percent: int = 5, every_seconds: float = 10,
                 clock=time.monotonic, label: str = "import_billing"):
        self.stream, self.step, self.every, self.clock = (stream, step_percent,
                                                          every_seconds, clock)
        self.label = label
        self.total = self.done = 0
        self.name = "stage"
        self.started = self.last_at = 0.0
        self.last_percent = -1

    def _percent(self) -> int:
        return 100 if self.total <= 0 else min(100, self.done * 100 // self.total)

    def _line(self, note: str = "") -> None:
        self.last_at, self.last_percent = self.clock(), self._percent()
        self.stream.write(f"{self.label}: {self.name} {self.last_percent}% "
                          f"({_size(self.done)} of {_size(self.total)}, "
                          f"{self.last_at - self.started:.1f} s){note}\n")
        self.stream.flush()

    def start(self, *, total_bytes: int) -> None:
        self.total, self.done = total_bytes, 0
        self.started = self.clock()
        self._line()

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        percent = self._percent()
        if (percent // self.step > self.last_percent // self.step
                or self.clock() - self.last_at >= self.every):
            self._line()

    def phase(self, name: str) -> None:
        self.name = name
        self._line()

    def finish(self) -> None:
        self.name = "done"
        self._line()


def cli_progress(stream, *, enabled: bool = True) -> ImportProgress:
    """The bar on a terminal, plain lines anywhere else, nothing with --no-progress.
    `stream` is where progress goes (the command's stderr: stdout keeps the summary)."""
    if not enabled:
        return ImportProgress()
    raw = getattr(stream, "_out", stream)  # a management command's OutputWrapper
    if hasattr(raw, "isatty") and raw.isatty():
        return TqdmProgress(file=raw)
    return LineProgress(raw)


def run_summary(run: ImportRun, *, problems_shown: int = 20) -> list[str]:
    """Human-readable lines: status, counts per file, the first problems."""
    lines = [f"Import #{run.pk}: {run.get_status_display()} "
             f"({run.duration_seconds or 0:.1f} s, sha256 {run.checksum[:12]})",
             run.report.get("message", "")]
    if run.counts:
        lines.append(f"{'file':<14}{'rows':>10}{'created':>10}{'updated':>10}"
                     f"{'unchanged':>11}{'deleted':>9}")
        for name, c in run.counts.items():
            lines.append(f"{name:<14}{c['rows']:>10}{c['created']:>10}{c['updated']:>10}"
                         f"{c['unchanged']:>11}{c.get('deleted', 0):>9}")
    problems = run.report.get("problems") or {}
    if problems.get("total"):
        lines.append(f"Problems: {problems['total']} "
                     + ", ".join(f"{k}={n}" for k, n in problems["by_kind"].items()))
        for p in problems["first"][:problems_shown]:
            lines.append(f"  {p['file']}:{p['line']} [{p['column']}] {p['value']!r}: "
                         f"{p['message']}")
    return [line for line in lines if line]
