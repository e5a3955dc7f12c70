"""The command-line adapter: a tqdm progress bar and a printed summary."""

from __future__ import annotations

from tqdm import tqdm

from lk_core.billing.importing.progress import ImportProgress
from lk_core.billing.models import ImportRun


class TqdmProgress(ImportProgress):
    def __init__(self, *, enabled: bool = True):
        self.bar: tqdm | None = None
        self.enabled = enabled

    def start(self, *, total_bytes: int) -> None:
        self.bar = tqdm(total=total_bytes, unit="B", unit_scale=True, disable=not self.enabled,
                        desc="stage")

    def advance(self, nbytes: int) -> None:
        if self.bar is not None:
            self.bar.update(nbytes)

    def phase(self, name: str) -> None:
        if self.bar is not None:
            self.bar.set_description(name)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
