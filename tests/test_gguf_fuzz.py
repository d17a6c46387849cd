"""Fuzz: thousands of mutated real headers; the reader answers each with a ModelSpec or
a GGUFError, never another exception, a hang or an unbounded read."""

from __future__ import annotations

import struct
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark_desktop.gguf import GGUFError, ModelSpec, read_header, read_model
from tests.fixtures.gguf_bytes import MemorySource
from tests.fixtures.synthetic_models import write_gemma3, write_lfm2, write_llama

_INTERESTING = [0, 1, 2, 3, 4, 7, 8, 9, 12, 31, 32, 255, 256, 511, 512, 513, 4096, 4097,
                2**16, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**40, 2**62, 2**63 - 1, 2**63,
                2**64 - 1]


@cache
def _bases() -> tuple[tuple[bytes, int], ...]:
    """(file bytes, header length) of small real models: a llama, a gemma3 with a per-layer
    pattern array, an lfm2 with a per-layer KV-head array, a part of a split set."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        paths = [
            write_llama(d / "l", n_layer=1, n_vocab=262).path,
            write_gemma3(d / "g", n_layer=3, n_vocab=262, swa_pattern=(True, False, True)).path,
            write_lfm2(d / "f", attention_layers=(False, True), n_vocab=262).path,
            write_llama(d / "s", n_layer=1, n_vocab=262, split=2).paths[1],
        ]
        out = []
        for p in paths:
            data = p.read_bytes()
            out.append((data, read_header(MemorySource(p.name, data)).data_offset))
        return tuple(out)


def _mutate(data: bytes, header: int, ops: list[tuple]) -> bytes:
    buf = bytearray(data)
    for op, where, arg in ops:
        pos = where % (header + 1)
        if op == "flip" and pos < len(buf):
            buf[pos] ^= 1 << (arg % 8)
        elif op == "cut":
            del buf[pos:]
        elif op == "put64":
            buf[pos:pos + 8] = struct.pack("<Q", arg)
        elif op == "put32":
            buf[pos:pos + 4] = struct.pack("<I", arg % 2**32)
        elif op == "insert":
            buf[pos:pos] = struct.pack("<Q", arg)
        elif op == "delete":
            del buf[pos:pos + 1 + arg % 16]
    return bytes(buf)


_ops = st.lists(
    st.tuples(st.sampled_from(["flip", "flip", "cut", "put64", "put32", "insert", "delete"]),
              st.integers(0, 2**20), st.sampled_from(_INTERESTING) | st.integers(0, 2**64 - 1)),
    min_size=1, max_size=4)


# Each example mutates all four bases the same way: 4000 mutated headers in all.
@settings(max_examples=1000, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=_ops)
def test_mutated_headers_only_raise_gguf_error(ops: list[tuple]) -> None:
    for data, header in _bases():
        mutated = _mutate(data, header, ops)
        source = MemorySource("fuzz.gguf", mutated)
        try:
            spec = read_model([source])
        except GGUFError as exc:
            assert str(exc).startswith("fuzz.gguf"), str(exc)
        else:
            assert isinstance(spec, ModelSpec)
            assert spec.file_size == len(mutated)
        # Never more than the file, in at most two growing requests for these small files.
        assert sum(n for _, n in source.requests) <= max(len(mutated), 1)
        assert len(source.requests) <= 2
