"""Parse one GGUF file's header: magic, version, metadata, tensor infos, data offset.

Every count and length is checked against what the rest of the file (and a hard cap
on metadata) can hold before anything is allocated, so hostile input ends in a
GGUFError quickly. Checks mirror ggml's gguf.cpp, so what passes here llama.cpp
would accept too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import gguf

from spark_desktop.gguf.errors import GGUFError
from spark_desktop.gguf.sources import MAX_HEADER_BYTES, HeaderBuffer
from spark_desktop.gguf.spec import ByteSource

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4
MAX_METADATA_BYTES = 64 * 1024 * 1024
MAX_ARRAY_DEPTH = 8
# Arrays longer than this (vocabularies, merges) are summarised, not decoded.
MAX_DECODED_ARRAY = 4096

_VT = gguf.GGUFValueType
_SCALARS: dict[int, struct.Struct] = {
    _VT.UINT8: struct.Struct("<B"), _VT.INT8: struct.Struct("<b"),
    _VT.UINT16: struct.Struct("<H"), _VT.INT16: struct.Struct("<h"),
    _VT.UINT32: struct.Struct("<I"), _VT.INT32: struct.Struct("<i"),
    _VT.FLOAT32: struct.Struct("<f"), _VT.BOOL: struct.Struct("<?"),
    _VT.UINT64: struct.Struct("<Q"), _VT.INT64: struct.Struct("<q"),
    _VT.FLOAT64: struct.Struct("<d"),
}
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
# The fewest bytes one element of each type takes (a string is at least its length).
_MIN_SIZE = {**{t: s.size for t, s in _SCALARS.items()}, _VT.STRING: 8, _VT.ARRAY: 12}


@dataclass(frozen=True)
class ArraySummary:
    """A long metadata array (e.g. a vocabulary): its element type and length only."""

    item_type: str
    length: int


@dataclass(frozen=True)
class RawTensor:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    type_name: str
    n_bytes: int
    offset: int          # absolute byte offset in its file


@dataclass(frozen=True)
class GGUFHeader:
    """One file's header as stored; building a ModelSpec from it is spec_builder's job."""

    name: str
    version: int
    file_size: int
    metadata: dict[str, Any]
    tensors: tuple[RawTensor, ...]
    alignment: int
    data_offset: int
    header_requests: int
    header_bytes: bytes = field(default=b"", repr=False)  # only with keep_bytes=True


def _type_name(vtype: int) -> str:
    try:
        return _VT(vtype).name
    except ValueError:
        return str(vtype)


class _Parser:
    def __init__(self, source: ByteSource) -> None:
        self.buf = HeaderBuffer(source)
        self.name = source.name
        self.size = self.buf.file_size
        self.pos = 0

    def fail(self, what: str) -> GGUFError:
        return GGUFError(f"{self.name} is not a valid GGUF file: {what}.")

    def take(self, n: int) -> bytes:
        stop = self.pos + n
        self.buf.ensure(stop)
        out = bytes(self.buf.data[self.pos:stop])
        self.pos = stop
        return out

    def scalar(self, s: struct.Struct) -> Any:
        self.buf.ensure(self.pos + s.size)
        (value,) = s.unpack_from(self.buf.data, self.pos)
        self.pos += s.size
        return value

    def skip(self, n: int) -> None:
        self.buf.ensure(self.pos + n)
        self.pos += n

    def count(self, what: str, item_size: int, limit: int) -> int:
        """A u64 count whose items (item_size bytes at least) must end before byte `limit`."""
        n = self.scalar(_U64)
        if n * item_size > max(0, min(self.size, limit) - self.pos):
            if self.pos + n * item_size > self.size:
                raise GGUFError(
                    f"{self.name} is truncated or damaged: {what} is {n}, more than the "
                    f"remaining {self.size - self.pos} bytes of the file can hold.")
            raise self.fail(f"{what} is {n}, more than the metadata size limit allows")
        return n

    def string(self, limit: int) -> str:
        n = self.count("a string length", 1, limit)
        return self.take(n).decode("utf-8", errors="replace")

    def strings(self, n: int, budget_end: int, keep: bool) -> tuple[str, ...]:
        """n strings in a tight loop (vocabularies are hundreds of thousands long);
        decoded only when `keep`."""
        data, pos, end = self.buf.data, self.pos, self.buf.end
        stop = min(self.size, budget_end)
        unpack = _U64.unpack_from
        out: list[str] = []
        for _ in range(n):
            if pos + 8 > end:
                self.pos = pos
                self.buf.ensure(pos + 8)
                data, end = self.buf.data, self.buf.end
            (length,) = unpack(data, pos)
            if pos + 8 + length > stop:
                self.pos = pos
                if pos + 8 + length > self.size:
                    raise GGUFError(
                        f"{self.name} is truncated or damaged: a string of {length} bytes at byte "
                        f"{pos} runs past the end of the file ({self.size} bytes).")
                raise self.fail(f"a string of {length} bytes runs past the metadata size limit")
            pos += 8
            if pos + length > end:
                self.pos = pos
                self.buf.ensure(pos + length)
                data, end = self.buf.data, self.buf.end
            if keep:
                out.append(data[pos:pos + length].decode("utf-8", errors="replace"))
            pos += length
        self.pos = pos
        return tuple(out)

    def value(self, vtype: int, budget_end: int, depth: int = 0) -> Any:
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _VT.STRING:
            return self.string(budget_end)
        if vtype == _VT.ARRAY:
            if depth >= MAX_ARRAY_DEPTH:
                raise self.fail(f"arrays are nested more than {MAX_ARRAY_DEPTH} deep")
            item = self.scalar(_U32)
            if item not in _MIN_SIZE:
                raise self.fail(f"an array has unknown element type {item}")
            n = self.count("an array length", _MIN_SIZE[item], budget_end)
            return self.array(item, n, budget_end, depth + 1)
        raise self.fail(f"a value has unknown type {vtype}")

    def array(self, item: int, n: int, budget_end: int, depth: int) -> Any:
        if n > MAX_DECODED_ARRAY:
            if item in _SCALARS:
                self.skip(n * _SCALARS[item].size)
            elif item == _VT.STRING:
                self.strings(n, budget_end, keep=False)
            else:
                for _ in range(n):
                    self.value(item, budget_end, depth)
            return ArraySummary(_type_name(item), n)
        if item in _SCALARS:
            s = _SCALARS[item]
            raw = self.take(n * s.size)
            return tuple(x[0] for x in s.iter_unpack(raw)) if n else ()
        if item == _VT.STRING:
            return self.strings(n, budget_end, keep=True)
        return tuple(self.value(item, budget_end, depth) for _ in range(n))


def _tensor_bytes(name: str, shape: tuple[int, ...], qtype: int, p: _Parser) -> tuple[str, int]:
    try:
        qt = gguf.GGMLQuantizationType(qtype)
        block, type_size = gguf.GGML_QUANT_SIZES[qt]
    except (ValueError, KeyError):
        raise GGUFError(
            f"{p.name} stores tensor {name!r} in ggml type {qtype}, which this version does not "
            "know; the file may need a newer llama.cpp, or it is damaged.") from None
    if shape[0] % block:
        raise p.fail(f"tensor {name!r} has rows of {shape[0]} values, not a multiple of "
                     f"the {qt.name} block size {block}")
    n_elements = 1
    for d in shape:
        n_elements *= d
    if n_elements >= 2**63:
        raise p.fail(f"tensor {name!r} has an impossible shape {list(shape)}")
    return qt.name, n_elements // block * type_size


def read_header(source: ByteSource, keep_bytes: bool = False) -> GGUFHeader:
    """Read one GGUF file's header from a ByteSource, reading only the header bytes.

    keep_bytes: also return the raw header (up to the data offset), e.g. for a stub.
    """
    p = _Parser(source)
    if p.size < 4 or p.take(4) != MAGIC:
        raise GGUFError(f"{p.name} is not a GGUF file (it does not start with 'GGUF').")
    version = p.scalar(_U32)
    if version & 0xFFFF == 0 and version:
        raise GGUFError(f"{p.name} is a big-endian GGUF file, which llama.cpp cannot load here.")
    if version not in (2, 3):
        hint = ("an old format llama.cpp no longer loads" if version < 2
                else "newer than this app knows")
        raise GGUFError(f"{p.name} is GGUF version {version}, {hint}.")
    n_tensors = p.count("the tensor count", 8 + 4 + 4 + 8, MAX_HEADER_BYTES)
    n_kv = p.count("the metadata count", 8 + 1 + 4, p.pos + 8 + MAX_METADATA_BYTES)

    metadata: dict[str, Any] = {}
    budget_end = p.pos + MAX_METADATA_BYTES
    for _ in range(n_kv):
        key = p.string(budget_end)
        if not key:
            raise p.fail("a metadata key is empty")
        if key in metadata:
            raise p.fail(f"the metadata key {key!r} appears twice")
        metadata[key] = p.value(p.scalar(_U32), budget_end)
        if p.pos > budget_end:
            raise p.fail(f"its metadata is larger than {MAX_METADATA_BYTES // 2**20} MiB")

    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or isinstance(alignment, bool) or alignment <= 0 \
            or alignment & (alignment - 1):
        raise p.fail(f"general.alignment {alignment!r} is not a power of two")

    raw: list[tuple[str, tuple[int, ...], int, int]] = []
    seen: set[str] = set()
    for _ in range(n_tensors):
        name = p.string(MAX_HEADER_BYTES)
        if name in seen:
            raise p.fail(f"the tensor name {name!r} appears twice")
        seen.add(name)
        n_dims = p.scalar(_U32)
        if n_dims > MAX_DIMS:
            raise p.fail(f"tensor {name!r} has {n_dims} dimensions (at most {MAX_DIMS})")
        shape = tuple(p.scalar(_I64) for _ in range(n_dims)) or (1,)
        if any(d < 0 for d in shape):
            raise p.fail(f"tensor {name!r} has a negative dimension {list(shape)}")
        qtype = p.scalar(_U32)
        offset = p.scalar(_U64)
        raw.append((name, shape, qtype, offset))

    data_offset = -(-p.pos // alignment) * alignment if n_tensors else p.pos
    tensors = []
    expected = 0
    for name, shape, qtype, offset in raw:
        type_name, n_bytes = _tensor_bytes(name, shape, qtype, p)
        if offset != expected:
            raise p.fail(f"tensor {name!r} starts at data offset {offset}, expected {expected}")
        expected += -(-n_bytes // alignment) * alignment
        end = data_offset + offset + n_bytes
        if end > p.size:
            raise GGUFError(
                f"{p.name} is truncated: tensor {name!r} ends at byte {end} "
                f"but the file is {p.size} bytes long.")
        tensors.append(RawTensor(name, shape, qtype, type_name, n_bytes, data_offset + offset))
    raw_header = b""
    if keep_bytes:
        p.buf.ensure(data_offset)
        raw_header = bytes(p.buf.data[:data_offset])
    return GGUFHeader(p.name, version, p.size, metadata, tuple(tensors), alignment,
                      data_offset, p.buf.requests, raw_header)

