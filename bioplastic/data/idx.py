"""The IDX file format (how MNIST and Fashion-MNIST are distributed): parse and encode.

An IDX file is a 4-byte magic number -- two zero bytes, a type code, the number of
dimensions ``d`` -- then ``d`` big-endian uint32 sizes, then the elements, big-endian,
in C order. Type codes: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32,
``0x0D`` float32, ``0x0E`` float64. Image files are ``0x00000803`` (uint8, 3-D:
count x rows x columns), label files ``0x00000801`` (uint8, 1-D).

Example
-------
>>> import numpy as np
>>> from bioplastic.data.idx import encode_idx, parse_idx
>>> images = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
>>> encode_idx(images)[:4].hex()
'00000803'
>>> np.array_equal(parse_idx(encode_idx(images)), images)
True
"""

from __future__ import annotations

import struct

import numpy as np

from bioplastic._checks import BadInput

_TYPE_CODES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dtype.kind, dtype.itemsize): code for code, dtype in _TYPE_CODES.items()}
_ALLOWED = "uint8, int8, int16, int32, float32 or float64"


def idx_payload_dtype(dtype) -> np.dtype:
    """The big-endian dtype IDX stores elements of ``dtype`` as.

    Example
    -------
    >>> idx_payload_dtype(np.float32).str
    '>f4'
    """
    dtype = np.dtype(dtype)
    code = _CODE_OF_KIND.get((dtype.kind, dtype.itemsize))
    if code is None:
        raise BadInput("IDX dtype", dtype.name, _ALLOWED)
    return _TYPE_CODES[code]


def idx_header(dtype, shape) -> bytes:
    """Magic number and sizes of an IDX file holding an array of ``dtype`` and ``shape``.

    Example
    -------
    >>> idx_header(np.uint8, (2, 3)).hex()
    '000008020000000200000003'
    """
    dtype = np.dtype(dtype)
    payload = idx_payload_dtype(dtype)
    code = _CODE_OF_KIND[(payload.kind, payload.itemsize)]
    shape = tuple(int(size) for size in shape)
    if len(shape) > 255 or any(size < 0 or size >= 2**32 for size in shape):
        raise BadInput("IDX shape", shape, "at most 255 dimensions, each < 2**32")
    return struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)


def encode_idx(array) -> bytes:
    """The IDX file (uncompressed bytes) holding ``array``.

    Example
    -------
    >>> encode_idx(np.array([1, 2], np.uint8)).hex()
    '00000801000000020102'
    """
    array = np.asarray(array)
    return idx_header(array.dtype, array.shape) + np.ascontiguousarray(array, idx_payload_dtype(array.dtype)).tobytes()


def parse_idx(data: bytes, where: str = "IDX file") -> np.ndarray:
    """The array in the IDX file ``data`` (uncompressed bytes), in native byte order.

    Parameters
    ----------
    data : bytes
        The whole file.
    where : str
        Name used in error messages (e.g. the file name).

    Raises
    ------
    BadInput
        When the magic number, the type code, or the length does not fit the format.

    Example
    -------
    >>> parse_idx(bytes.fromhex("00000801000000020102")).tolist()
    [1, 2]
    >>> parse_idx(b"\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x05\\x01", where="labels")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: labels: got 1 data bytes after the header; allowed: exactly 5 (shape (5,) of uint8)
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise BadInput(where,
                       f"magic bytes {data[:4].hex() or 'none'}",
                       "0000 followed by a type code and a dimension count")
    code, ndim = data[2], data[3]
    if code not in _TYPE_CODES:
        raise BadInput(where, f"type code 0x{code:02x}", f"0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e ({_ALLOWED})")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise BadInput(where, f"{len(data)} bytes", f"at least {header_size} (a header with {ndim} sizes)")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = _TYPE_CODES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header_size != expected:
        raise BadInput(where,
                       f"{len(data) - header_size} data bytes after the header",
                       f"exactly {expected} (shape {tuple(shape)} of {dtype.newbyteorder('=').name})")
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))
