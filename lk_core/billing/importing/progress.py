"""How the importer reports progress; adapters pass their own (a tqdm bar in the CLI)."""

from __future__ import annotations


class ImportProgress:
    """No-op progress; subclasses show it somewhere."""

    def start(self, *, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def phase(self, name: str) -> None:
        pass

    def finish(self) -> None:
        pass
