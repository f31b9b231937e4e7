"""Read files out of a Debian package (.deb) without installing it and without root.

A .deb is an ``ar`` archive: the global header ``b"!<arch>\\n"``, then members, each a
60-byte header -- name (16 bytes), mtime (12), uid (6), gid (6), mode (8, octal),
size (10, decimal), and the two bytes ``b"`\\n"`` -- followed by ``size`` bytes of data
and one ``b"\\n"`` of padding when ``size`` is odd. GNU ``ar`` ends names with ``/``; BSD
``ar`` writes ``#1/<n>`` and puts the ``n``-byte name at the start of the data. The
members of a .deb are ``debian-binary`` (``"2.0\\n"``), ``control.tar.*`` and
``data.tar.*``; the last holds the installed files, with paths such as
``./usr/share/...``. Compression of ``data.tar``: xz (what Debian's
``dataset-fashion-mnist`` uses), gzip, bzip2 or none with the standard library; zstd
when the ``zstandard`` package is importable.

Example
-------
>>> from bioplastic.data.deb import ar_members
>>> archive = b"!<arch>\\n" + b"debian-binary/  0           0     0     100644  4         `\\n" + b"2.0\\n"
>>> [(name, bytes(data)) for name, data in ar_members(archive)]
[('debian-binary', b'2.0\\n')]
"""

from __future__ import annotations

import io
import os
import pathlib
import tarfile
from typing import Iterable, Iterator

from bioplastic._checks import BadInput

AR_MAGIC = b"!<arch>\n"
_HEADER_SIZE = 60
_TAR_MODES = {"": "r:", ".xz": "r:xz", ".gz": "r:gz", ".bz2": "r:bz2"}


def ar_members(data: bytes, where: str = "ar archive") -> Iterator[tuple[str, memoryview]]:
    """Yield ``(name, data)`` for each member of the ``ar`` archive ``data`` (whole file bytes).

    Raises
    ------
    BadInput
        When the global header or a member header is malformed, or a member runs past the end.

    Example
    -------
    >>> def member(name, data):                                   # a GNU ar member header, 60 bytes
    ...     return f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\\n".encode() + data
    >>> archive = AR_MAGIC + member("debian-binary", b"2.0\\n") + member("a.txt", b"xy")
    >>> [(name, bytes(data)) for name, data in ar_members(archive)]
    [('debian-binary', b'2.0\\n'), ('a.txt', b'xy')]
    """
    view = memoryview(data)
    if bytes(view[:8]) != AR_MAGIC:
        raise BadInput(where, f"first bytes {bytes(view[:8])!r}", f"an ar archive starting with {AR_MAGIC!r}")
    offset = len(AR_MAGIC)
    while offset < len(view):
        if len(view) - offset == 1 and view[offset] == 0x0A:  # trailing padding byte
            break
        header = bytes(view[offset:offset + _HEADER_SIZE])
        if len(header) < _HEADER_SIZE or header[58:60] != b"`\n":
            raise BadInput(where,
                           f"a malformed member header at byte {offset}",
                           "a 60-byte ar header ending in b'`\\n'")
        raw_name = header[:16].decode("ascii", "replace").rstrip(" ")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise BadInput(where, f"size field {header[48:58]!r} at byte {offset}", "a decimal number") from None
        start = offset + _HEADER_SIZE
        end = start + size
        if end > len(view):
            raise BadInput(where,
                           f"a member {raw_name!r} of {size} bytes that runs past the end of the file ({len(view)} bytes)",
                           "a complete archive")
        body = view[start:end]
        if raw_name.startswith("#1/"):  # BSD: the name is stored at the start of the data
            name_length = int(raw_name[3:])
            name = bytes(body[:name_length]).decode("utf-8").rstrip("\0")
            body = body[name_length:]
        elif raw_name not in ("/", "//") and raw_name.endswith("/"):  # GNU terminator
            name = raw_name[:-1]
        else:
            name = raw_name
        yield name, body
        offset = end + (size % 2)


def _open_data_tar(name: str, body: memoryview, where: str) -> tarfile.TarFile:
    suffix = name[len("data.tar"):]
    fileobj = io.BytesIO(body)
    if suffix in _TAR_MODES:
        return tarfile.open(fileobj=fileobj, mode=_TAR_MODES[suffix])
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise BadInput(where,
                           f"a zstd-compressed {name}",
                           "xz, gzip, bzip2 or none (install the 'zstandard' package to read zstd)") from None
        reader = zstandard.ZstdDecompressor().stream_reader(fileobj)
        return tarfile.open(fileobj=io.BytesIO(reader.read()), mode="r:")
    raise BadInput(where, f"data member {name!r}", "data.tar, data.tar.xz, .gz, .bz2 or .zst")


def read_deb_files(deb_path: str | os.PathLike, paths: Iterable[str]) -> dict[str, bytes]:
    """Contents of the installed files ``paths`` (e.g. ``"/usr/share/x/y"``) in the .deb at ``deb_path``.

    Nothing is written to disk: the archive is read into memory and the wanted regular
    files are read out of its ``data.tar``.

    Raises
    ------
    BadInput
        When the file is not a .deb, or a wanted path is not in it.

    Example
    -------
    >>> import io, tarfile, tempfile, pathlib
    >>> payload = io.BytesIO()
    >>> with tarfile.open(fileobj=payload, mode="w:gz") as tar:
    ...     info = tarfile.TarInfo("./usr/share/hello.txt"); info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"hi"))
    >>> def member(name, data):
    ...     header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\\n".encode()
    ...     return header + data + (b"\\n" if len(data) % 2 else b"")
    >>> deb = pathlib.Path(tempfile.mkdtemp()) / "hello.deb"
    >>> _ = deb.write_bytes(b"!<arch>\\n" + member("debian-binary", b"2.0\\n") + member("data.tar.gz", payload.getvalue()))
    >>> read_deb_files(deb, ["/usr/share/hello.txt"])
    {'/usr/share/hello.txt': b'hi'}
    """
    deb_path = pathlib.Path(deb_path)
    where = str(deb_path)
    wanted = {path.lstrip("/"): path for path in paths}
    members = list(ar_members(deb_path.read_bytes(), where))
    if not members or members[0][0] != "debian-binary" or not bytes(members[0][1]).startswith(b"2."):
        raise BadInput(where,
                       f"members {[name for name, _ in members][:4]}",
                       "a Debian package whose first member is debian-binary (2.x)")
    data_members = [(name, body) for name, body in members if name.startswith("data.tar")]
    if len(data_members) != 1:
        raise BadInput(where, f"{len(data_members)} data.tar members", "exactly one")
    found: dict[str, bytes] = {}
    with _open_data_tar(*data_members[0], where) as tar:
        for info in tar:
            name = info.name
            while name.startswith("./"):
                name = name[2:]
            name = name.lstrip("/")
            if name in wanted and info.isfile():
                found[wanted[name]] = tar.extractfile(info).read()
    missing = [path for key, path in wanted.items() if path not in found]
    if missing:
        raise BadInput(where, f"no file {missing[0]!r} in data.tar", "a package that ships it")
    return found
