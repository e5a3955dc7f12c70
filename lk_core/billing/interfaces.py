"""Interfaces that billing adapters in integrations/ implement; lk_core only knows these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class FetchedPackage:
    not_modified: bool
    path: Path | None = None
    etag: str = ""


class PullError(Exception):
    """The package could not be fetched. `retryable` tells a scheduler to try again soon."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class PackageFetcher(Protocol):
    def fetch(self, *, url: str, etag: str, auth_header: str, into: Path) -> FetchedPackage:
        """Download the package to `into` unless the server reports it unchanged for
        `etag`; raise PullError on failure."""
        ...
