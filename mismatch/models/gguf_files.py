"""A GGUF file's parts and header, read while planning without running any package's code.

A weight package ships its GGUF file whole, or in chunks (``<file>.part00``, ``.part01``, ...)
spread over the package and the packages it requires; the installed files are found through the
distributions' RECORDs (``importlib.metadata``), never by importing them. The header's metadata
keys are read from the first bytes of the file (across chunks), so the planning checks know
whether it is a GGUF file at all and whether it carries ``tokenizer.chat_template``.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mismatch.errors import InputError

MAGIC = b"GGUF"
CHAT_TEMPLATE = "tokenizer.chat_template"
_PART = re.compile(r"\.part(\d+)$")
# GGUF metadata value types: fixed sizes in bytes; 8 is a string, 9 an array
_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


def _distribution(package: str, where: str) -> metadata.Distribution:
    try:
        return metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise InputError(where, f"package {package!r} is not installed (pip install it)") from None


def _required(dist: metadata.Distribution) -> Iterator[metadata.Distribution]:
    """The installed distributions ``dist`` requires (no extras)."""
    for requirement in dist.requires or []:
        if ";" in requirement and "extra" in requirement.split(";", 1)[1]:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name:
            try:
                yield metadata.distribution(name.group(0))
            except metadata.PackageNotFoundError:
                continue


def _installed(dist: metadata.Distribution) -> Iterator[Path]:
    for entry in dist.files or []:
        yield Path(str(dist.locate_file(entry)))


def package_parts(package: str, file: str, where: str) -> list[Path]:
    """The installed file(s) making up ``file`` of weight package ``package``: the file itself,
    or its chunks in order (from the package and the packages it requires); a one-line error
    naming what the package does ship otherwise."""
    dist = _distribution(package, where)
    shipped = list(_installed(dist))
    whole = [path for path in shipped if path.name == file]
    if whole:
        return whole[:1]
    parts = {}
    for path in [*shipped, *(p for d in _required(dist) for p in _installed(d))]:
        number = _PART.search(path.name)
        if number and path.name[: number.start()] == file:
            parts[int(number.group(1))] = path
    if parts:
        return [parts[k] for k in sorted(parts)]
    every = [*shipped, *(q for d in _required(dist) for q in _installed(d))]
    whole_names = sorted({p.name for p in shipped if p.name.endswith(".gguf")})
    chunked = sorted({_PART.sub("", p.name) for p in every if _PART.search(p.name)})
    if whole_names or chunked:
        verb = "ships" if whole_names else "assembles"
        names = ", ".join(repr(n) for n in whole_names or chunked)
        raise InputError(f"{where}.file", f"package {package!r} {verb} {names}, not {file!r}")
    raise InputError(
        f"{where}.file",
        f"package {package!r} ships no such file and has no assemble() parts of one "
        "(no .gguf file nor .gguf.partNN chunks in it or the packages it requires)",
    )


class _Chained:
    """The bytes of several files read one after another, as one stream."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = list(paths)
        self.handle: BinaryIO | None = None

    def read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            if self.handle is None:
                if not self.paths:
                    break
                self.handle = open(self.paths.pop(0), "rb")  # noqa: SIM115
            block = self.handle.read(n - len(data))
            if not block:
                self.handle.close()
                self.handle = None
            data += block
        return data

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _exact(stream: _Chained, n: int, name: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise InputError(name, "GGUF header is cut short (a truncated download?)")
    return data


def _skip_value(stream: _Chained, kind: int, name: str) -> None:
    if kind in _SIZES:
        _exact(stream, _SIZES[kind], name)
    elif kind == _STRING:
        (length,) = struct.unpack("<Q", _exact(stream, 8, name))
        _exact(stream, length, name)
    elif kind == _ARRAY:
        item, count = struct.unpack("<IQ", _exact(stream, 12, name))
        if item in _SIZES:
            _exact(stream, _SIZES[item] * count, name)
        else:
            for _ in range(count):
                _skip_value(stream, item, name)
    else:
        raise InputError(name, f"GGUF metadata value of unknown type {kind}: not a GGUF file?")


def metadata_keys(parts: list[Path], name: str | None = None) -> list[str]:
    """The metadata keys of the GGUF file made of ``parts`` (read from its header); a one-line
    error naming the file where it is not GGUF."""
    name = name or str(parts[0])
    stream = _Chained(parts)
    try:
        head = stream.read(4)
        if head != MAGIC:
            raise InputError(
                name, f"not a GGUF file (it starts with {head!r}, not b'GGUF'): give a .gguf file"
            )
        _version, _tensors, count = struct.unpack("<IQQ", _exact(stream, 20, name))
        keys = []
        for _ in range(count):
            (length,) = struct.unpack("<Q", _exact(stream, 8, name))
            keys.append(_exact(stream, length, name).decode("utf-8", "replace"))
            (kind,) = struct.unpack("<I", _exact(stream, 4, name))
            _skip_value(stream, kind, name)
        return keys
    finally:
        stream.close()


def has_chat_template(parts: list[Path], name: str | None = None) -> bool:
    """Whether the GGUF file carries a chat template (instruct models do, base models do not)."""
    return CHAT_TEMPLATE in metadata_keys(parts, name)
