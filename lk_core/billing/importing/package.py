"""Open an lk-billing/1 package (a directory or a .zip) and read its manifest."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

FORMAT = "lk-billing/1"
MANIFEST = "manifest.json"
# manifest encoding -> (Python codec, PostgreSQL COPY encoding)
ENCODINGS = {"utf-8": ("utf-8-sig", "UTF8"), "windows-1251": ("cp1251", "WIN1251")}
DELIMITERS = {",", ";"}
CHUNK = 1 << 20


class PackageError(Exception):
    """The package cannot be opened at all (not a zip, no manifest, bad manifest)."""


@dataclass(frozen=True)
class Manifest:
    period: str
    generated_at: str
    source: str
    encoding: str
    delimiter: str

    @property
    def python_codec(self) -> str:
        return ENCODINGS[self.encoding][0]

    @property
    def pg_encoding(self) -> str:
        return ENCODINGS[self.encoding][1]


def manifest_parse(raw: bytes) -> Manifest:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(_("manifest.json is not valid JSON.")) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackageError(_("manifest.json must declare format %(format)s.")
                           % {"format": FORMAT})
    encoding = str(data.get("encoding", "utf-8")).lower()
    delimiter = str(data.get("delimiter", ","))
    if encoding not in ENCODINGS:
        raise PackageError(_("Unsupported encoding %(value)s (use utf-8 or windows-1251).")
                           % {"value": encoding})
    if delimiter not in DELIMITERS:
        raise PackageError(_("Unsupported delimiter %(value)s (use , or ;).")
                           % {"value": delimiter})
    period = str(data.get("period", ""))
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise PackageError(_("manifest.json needs period as YYYY-MM."))
    return Manifest(period=period, generated_at=str(data.get("generated_at", "")),
                    source=str(data.get("source", ""))[:200], encoding=encoding,
                    delimiter=delimiter)


class Package:
    """Read access to the files of a package without extracting or loading them."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if self.path.is_dir():
            names = [p.name for p in self.path.iterdir() if p.is_file()]
        elif zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
            self._prefix = _common_folder(names)
            names = [n.removeprefix(self._prefix) for n in names]
        else:
            raise PackageError(_("A package must be a directory or a .zip file."))
        self.names = {n for n in names if "/" not in n}
        if MANIFEST not in self.names:
            self.close()
            raise PackageError(_("The package has no manifest.json."))
        with self.open(MANIFEST) as stream:
            self.manifest = manifest_parse(stream.read(1 << 16))

    def open(self, name: str) -> BinaryIO:
        if self._zip is not None:
            return self._zip.open(self._prefix + name)
        return (self.path / name).open("rb")

    def size(self, name: str) -> int:
        if self._zip is not None:
            return self._zip.getinfo(self._prefix + name).file_size
        return (self.path / name).stat().st_size

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _common_folder(names: list[str]) -> str:
    """A zip made of a folder holds 'folder/manifest.json'; treat the folder as the root."""
    if f"{MANIFEST}" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    return f"{tops.pop()}/" if len(tops) == 1 else ""


def package_checksum(path: Path | str) -> str:
    """SHA-256 of a zip file, or of a directory's files (name and bytes, sorted by name)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.name.encode() + b"\0")
        with file.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest()
