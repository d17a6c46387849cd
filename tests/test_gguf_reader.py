"""The GGUF reader: the real Gemma 3 model, split sets, few small reads, hostile input."""

from __future__ import annotations

import itertools
import math
import struct
import time
from pathlib import Path

import gguf
import pytest

from spark_desktop.errors import SparkError
from spark_desktop.gguf import (
    ArraySummary,
    FileSource,
    GGUFError,
    read_header,
    read_model,
    split_base_name,
    split_part_names,
)
from tests.fixtures.gguf_bytes import (
    MemorySource,
    gguf_file,
    gguf_string,
    kv,
    minimal_model,
    string,
    tensor_info,
    u32,
)
from tests.fixtures.synthetic_models import write_gemma3, write_llama, write_qwen3moe


def _read_bytes(data: bytes, name: str = "model.gguf"):
    return read_model([MemorySource(name, data)])


def _error(data: bytes, name: str = "model.gguf") -> str:
    with pytest.raises(GGUFError) as info:
        _read_bytes(data, name)
    return str(info.value)


# --- the real model ---------------------------------------------------------------

def test_real_model_reads_as_gemma3(test_model: Path) -> None:
    started = time.perf_counter()
    spec = read_model(test_model)
    elapsed = time.perf_counter() - started
    print(f"read_model({test_model.name}): {elapsed * 1000:.1f} ms")
    assert spec.architecture == "gemma3"
    assert spec.name == "Gemma 3 270m"
    assert spec.n_layer == 18
    assert spec.n_embd == 640
    assert spec.n_head == (4,) * 18
    assert spec.n_head_kv == (1,) * 18
    assert (spec.head_dim_k, spec.head_dim_v) == (256, 256)
    assert spec.n_swa == 512
    # llama.cpp's Gemma 3 default: every sixth layer is full attention.
    assert spec.swa_layers == ((True,) * 5 + (False,)) * 3
    assert spec.vocab_size == 262144
    assert spec.quantization == "Q4_K_M"
    assert spec.chat_template is None
    assert spec.license == "gemma"
    assert spec.context_length == 32768
    assert (spec.n_expert, spec.n_expert_used) == (0, 0)
    assert 265e6 < spec.parameters < 272e6
    assert spec.split_count == 1
    assert spec.file_size == test_model.stat().st_size
    assert isinstance(spec.metadata["tokenizer.ggml.tokens"], ArraySummary)
    assert spec.metadata["tokenizer.ggml.tokens"].length == 262144


def test_real_model_tensor_bytes_fill_the_data_section(test_model: Path) -> None:
    header = read_header(FileSource(test_model))
    spec = read_model(test_model)
    assert len(spec.tensors) == 236
    # Each tensor is padded to the alignment; the padded sizes tile the data section exactly.
    padded = sum(-(-t.n_bytes // header.alignment) * header.alignment for t in spec.tensors)
    assert header.data_offset + padded == spec.file_size
    # n_bytes agrees with the gguf package's block sizes.
    for t in spec.tensors:
        qtype = gguf.GGMLQuantizationType(t.ggml_type)
        byte_shape = gguf.quant_shape_to_byte_shape(t.shape[::-1], qtype)
        assert t.n_bytes == math.prod(byte_shape)
    layers = {t.name: t.layer for t in spec.tensors}
    assert layers["blk.17.ffn_down.weight"] == 17
    assert layers["token_embd.weight"] is None
    assert {t.layer for t in spec.tensors} == set(range(18)) | {None}


def test_real_model_needs_only_a_few_small_reads(test_model: Path) -> None:
    source = MemorySource(test_model.name, test_model.read_bytes())
    spec = read_model([source])
    assert spec.n_layer == 18
    # The header is about 6.5 MB of the 253 MB file (mostly the 262k-token vocabulary).
    assert len(source.requests) <= 6
    assert source.bytes_read < 16 * 2**20
    assert source.requests[0] == (0, 256 * 1024)
    sizes = [n for _, n in source.requests]
    assert all(b >= a for a, b in itertools.pairwise(sizes))  # growing requests


def test_small_model_is_read_with_one_request(tmp_path: Path) -> None:
    model = write_llama(tmp_path)
    source = MemorySource(model.path.name, model.path.read_bytes())
    read_model([source])
    assert len(source.requests) == 1


# --- split models -------------------------------------------------------------------

def test_split_part_names() -> None:
    assert split_part_names("m-00002-of-00003.gguf") == [
        "m-00001-of-00003.gguf", "m-00002-of-00003.gguf", "m-00003-of-00003.gguf"]
    assert split_part_names("Q4_K_M/Big-Model-Q4_K_M-00001-of-00002.gguf") == [
        "Q4_K_M/Big-Model-Q4_K_M-00001-of-00002.gguf",
        "Q4_K_M/Big-Model-Q4_K_M-00002-of-00002.gguf"]
    assert split_part_names("model.gguf") == ["model.gguf"]
    assert split_part_names("m-00004-of-00003.gguf") == ["m-00004-of-00003.gguf"]
    assert split_part_names("m-00000-of-00003.gguf") == ["m-00000-of-00003.gguf"]
    assert split_base_name("Q4/Model-Q4_K_M-00002-of-00003.gguf") == "Model-Q4_K_M"
    assert split_base_name("model.gguf") == "model"


def test_split_model_from_any_part(tmp_path: Path) -> None:
    model = write_qwen3moe(tmp_path, split=3, tensor_type="Q8_0", n_embd=128, head_dim=32)
    whole = write_qwen3moe(tmp_path / "whole", tensor_type="Q8_0", n_embd=128, head_dim=32)
    reference = read_model(whole.path)
    for part in model.paths:
        spec = read_model(part)
        assert spec.split_count == 3
        assert spec.file_size == model.file_size
        assert spec.name == "tiny-qwen3moe"
        assert spec.parameters == reference.parameters
        assert [t.name for t in spec.tensors] == [t.name for t in reference.tensors]
        assert {t.part for t in spec.tensors} == {0, 1, 2}
        assert spec.n_expert == 4 and spec.n_layer == reference.n_layer
    # tensor offsets point into their own part
    for t in read_model(model.path).tensors:
        assert t.offset + t.n_bytes <= model.paths[t.part].stat().st_size


def test_split_model_from_sources(tmp_path: Path) -> None:
    model = write_llama(tmp_path, split=2)
    sources = [MemorySource(p.name, p.read_bytes()) for p in model.paths]
    spec = read_model(sources)
    assert spec.split_count == 2 and spec.name == "tiny-llama"
    with pytest.raises(GGUFError, match="position 1"):
        read_model(list(reversed(sources)))
    with pytest.raises(GGUFError, match="part 1 of a split model of 2 parts"):
        read_model(sources[:1])


def test_split_model_with_a_missing_part(tmp_path: Path) -> None:
    model = write_llama(tmp_path, split=3)
    model.paths[1].unlink()
    with pytest.raises(GGUFError, match="tiny-llama-00002-of-00003.gguf is missing"):
        read_model(model.paths[0])


def test_split_parts_from_different_sets(tmp_path: Path) -> None:
    two = write_llama(tmp_path / "a", split=2)
    three = write_llama(tmp_path / "b", split=3)
    mixed = [MemorySource(two.paths[0].name, two.paths[0].read_bytes()),
             MemorySource(three.paths[1].name, three.paths[1].read_bytes())]
    with pytest.raises(GGUFError, match="different downloads"):
        read_model(mixed)


def test_split_part_renamed_out_of_the_pattern(tmp_path: Path) -> None:
    model = write_llama(tmp_path, split=2)
    renamed = model.paths[0].with_name("renamed.gguf")
    model.paths[0].rename(renamed)
    with pytest.raises(GGUFError, match="other parts are needed"):
        read_model(renamed)


# --- metadata ---------------------------------------------------------------------

def test_every_value_type_and_nested_arrays() -> None:
    nested = struct.pack("<IQ", 9, 2) + struct.pack("<IQ", 4, 2) + struct.pack("<II", 1, 2) \
        + struct.pack("<IQ", 8, 1) + gguf_string("x")
    kvs = [
        kv("t.u8", 0, b"\xff"), kv("t.i8", 1, b"\xff"), kv("t.u16", 2, struct.pack("<H", 65535)),
        kv("t.i16", 3, struct.pack("<h", -2)), kv("t.i32", 5, struct.pack("<i", -3)),
        kv("t.f32", 6, struct.pack("<f", 0.5)), kv("t.bool", 7, b"\x01"),
        kv("t.u64", 10, struct.pack("<Q", 2**64 - 1)), kv("t.i64", 11, struct.pack("<q", -5)),
        kv("t.f64", 12, struct.pack("<d", 1.25)), kv("t.nested", 9, nested),
        kv("t.empty", 9, struct.pack("<IQ", 4, 0)),
    ]
    meta = _read_bytes(minimal_model(kvs)).metadata
    assert (meta["t.u8"], meta["t.i8"], meta["t.u16"], meta["t.i16"]) == (255, -1, 65535, -2)
    assert (meta["t.i32"], meta["t.f32"], meta["t.bool"]) == (-3, 0.5, True)
    assert (meta["t.u64"], meta["t.i64"], meta["t.f64"]) == (2**64 - 1, -5, 1.25)
    assert meta["t.nested"] == ((1, 2), ("x",))
    assert meta["t.empty"] == ()


def test_version_2_is_read() -> None:
    v2 = minimal_model()[:4] + struct.pack("<I", 2) + minimal_model()[8:]
    assert _read_bytes(v2).n_layer == 1


def test_per_layer_head_arrays_and_defaults() -> None:
    heads = kv("llama.attention.head_count_kv", 9,
               struct.pack("<IQ", 4, 2) + struct.pack("<II", 2, 0))
    spec = _read_bytes(minimal_model([heads], n_layer=2))
    assert spec.n_head == (2, 2) and spec.n_head_kv == (2, 0)
    assert spec.head_dim_k == spec.head_dim_v == 4  # n_embd / n_head
    assert spec.quantization == "F32"  # no file type: guessed from the tensors
    assert spec.vocab_size == 0 and spec.chat_template is None


def test_chat_template_and_file_type() -> None:
    extra = [string("tokenizer.chat_template", "{{ messages }}"),
             u32("general.file_type", gguf.LlamaFileType.MOSTLY_Q5_K_S)]
    spec = _read_bytes(minimal_model(extra))
    assert spec.chat_template == "{{ messages }}"
    assert spec.quantization == "Q5_K_S"


@pytest.mark.parametrize(("arch", "keys", "n_swa", "flags"), [
    ("gemma2", [], 4096, (True, False, True, False)),
    ("gemma3", [], 0, (False,) * 4),
    ("gpt-oss", [u32("gpt-oss.attention.sliding_window", 128)], 128, (True, False, True, False)),
    ("cohere2", [u32("cohere2.attention.sliding_window", 10)], 10, (True, True, True, False)),
    ("gemma3", [u32("gemma3.attention.sliding_window", 64),
                u32("gemma3.attention.sliding_window_pattern", 2)], 64, (True, False, True, False)),
    ("llama", [u32("llama.attention.sliding_window", 64)], 0, (False,) * 4),
])
def test_sliding_window_rules(arch: str, keys: list[bytes], n_swa: int, flags: tuple) -> None:
    spec = _read_bytes(minimal_model([*keys], arch=arch, n_layer=4))
    assert (spec.n_swa, spec.swa_layers) == (n_swa, flags)


@pytest.mark.parametrize(("arch", "keys", "flags"), [
    ("qwen3next", [], (True, True, True, False)),
    ("qwen3next", [u32("qwen3next.full_attention_interval", 2)], (True, False, True, False)),
    ("minimax-01", [], (True,) * 4),
    ("rwkv7", [], (True,) * 4),
    ("jamba", [kv("jamba.attention.head_count_kv", 9,
                  struct.pack("<IQ", 4, 4) + struct.pack("<IIII", 0, 2, 0, 0))],
     (True, False, True, True)),
    ("llama", [], (False,) * 4),
])
def test_recurrent_layer_rules(arch: str, keys: list[bytes], flags: tuple) -> None:
    assert _read_bytes(minimal_model([*keys], arch=arch, n_layer=4)).recurrent_layers == flags


# --- hostile input ----------------------------------------------------------------

def test_gguf_error_is_a_spark_error() -> None:
    assert issubclass(GGUFError, SparkError)


def test_not_a_gguf(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello, this is not a model")
    with pytest.raises(GGUFError, match="notes.txt is not a GGUF file"):
        read_model(tmp_path / "notes.txt")
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_model(tmp_path / "empty.gguf")
    with pytest.raises(GGUFError, match="does not exist"):
        read_model(tmp_path / "absent.gguf")
    with pytest.raises(GGUFError, match="not a file"):
        read_model(tmp_path)


def test_truncated_everywhere(tmp_path: Path) -> None:
    data = write_llama(tmp_path, n_vocab=262).path.read_bytes()
    header_end = read_header(MemorySource("m", data)).data_offset
    for cut in [*range(0, header_end, 37), header_end, len(data) - 1]:
        message = _error(data[:cut])
        assert "model.gguf" in message
        assert "truncated" in message or "not a GGUF file" in message, (cut, message)
    assert "is truncated: its header needs at least" in _error(data[:header_end // 2])
    assert "is truncated: tensor" in _error(data[:-1])


@pytest.mark.parametrize(("version", "words"), [
    (1, "version 1, an old format"), (4, "version 4, newer"), (0, "version 0"),
    (0x03000000, "big-endian"),
])
def test_unknown_versions(version: int, words: str) -> None:
    data = minimal_model()
    assert words in _error(data[:4] + struct.pack("<I", version) + data[8:])


def _with_counts(n_tensors: int, n_kv: int) -> bytes:
    data = minimal_model()
    return data[:8] + struct.pack("<QQ", n_tensors, n_kv) + data[24:]


@pytest.mark.parametrize(("data", "words"), [
    (_with_counts(2**63, 4), "the tensor count is 9223372036854775808"),
    (_with_counts(1, 2**40), "the metadata count is 1099511627776"),
    (gguf_file([kv("k", 8, struct.pack("<Q", 2**62))]), "a string length"),
    (gguf_file([gguf_string("x" * 100)[:8] + b"x" * 20]), "a string length is 100"),
    (gguf_file([kv("k", 9, struct.pack("<IQ", 4, 2**61))]), "an array length"),
    (gguf_file([kv("k", 9, struct.pack("<IQ", 8, 10**6) + gguf_string("a") * 10)]),
     "an array length"),
    (gguf_file([kv("k", 9, struct.pack("<IQ", 99, 1))]), "unknown element type 99"),
    (gguf_file([kv("k", 42, b"")]), "unknown type 42"),
    (gguf_file([kv("k", 9, struct.pack("<IQ", 9, 1) * 20)]), "nested more than 8 deep"),
    (gguf_file([u32("a", 1), u32("a", 2)]), "'a' appears twice"),
    (gguf_file([u32("", 1)]), "key is empty"),
    (gguf_file([u32("general.alignment", 48)]), "not a power of two"),
    (gguf_file([], [tensor_info("t", (1,) * 5, 0, 0)]), "5 dimensions"),
    (gguf_file([], [tensor_info("t", (4, -1), 0, 0)]), "negative dimension"),
    (gguf_file([], [tensor_info("t", (2**62, 2**62), 0, 0)]), "impossible shape"),
    (gguf_file([], [tensor_info("t", (32,), 999, 0)], b"\0" * 64), "ggml type 999"),
    (gguf_file([], [tensor_info("t", (33,), 8, 0)], b"\0" * 64),
     "not a multiple of the Q8_0 block size 32"),
    (gguf_file([], [tensor_info("t", (8,), 0, 32)], b"\0" * 64),
     "starts at data offset 32, expected 0"),
    (gguf_file([], [tensor_info("t", (8,), 0, 0), tensor_info("t", (8,), 0, 32)]),
     "'t' appears twice"),
    (gguf_file([], [tensor_info("t", (2**40,), 0, 0)]), "is truncated: tensor 't' ends at byte"),
])
def test_hostile_headers(data: bytes, words: str) -> None:
    assert words in _error(data)


def test_huge_metadata_is_capped() -> None:
    """A 2 GiB string in a 1 TiB file is refused from its length alone, before any fetch."""

    class Sparse(MemorySource):
        """A 1 TiB file: its bytes, then zeros."""

        def size(self) -> int:
            return 2**40

        def read(self, offset: int, length: int) -> bytes:
            chunk = super().read(offset, length)
            return chunk + b"\0" * (length - len(chunk))

    sparse = Sparse("big.gguf", gguf_file([kv("k", 8, struct.pack("<Q", 2**31))]) + b"\0" * 64)
    with pytest.raises(GGUFError, match="big.gguf .*size limit"):
        read_model([sparse])
    assert sparse.requests == [(0, 256 * 1024)]
    # Many moderate arrays add up: the metadata as a whole is capped too.
    big = 40 * 2**20
    arrays = [kv(f"a{i}", 9, struct.pack("<IQ", 0, big) + b"\0" * big) for i in range(2)]
    sparse = Sparse("many.gguf", gguf_file(arrays))
    with pytest.raises(GGUFError, match="many.gguf .*metadata size limit"):
        read_model([sparse])
    assert sum(n for _, n in sparse.requests) <= 128 * 2**20


def test_model_level_nonsense() -> None:
    assert "no general.architecture" in _error(gguf_file([u32("x", 1)]))
    assert "claims 100000 layers" in _error(minimal_model(n_layer=100000))
    heads = kv("llama.attention.head_count_kv", 9,
               struct.pack("<IQ", 4, 3) + struct.pack("<III", 1, 1, 1))
    assert ("3 values in llama.attention.head_count_kv for 2 layers"
            in _error(minimal_model([heads], n_layer=2)))
    experts = [u32("llama.expert_count", 4), u32("llama.expert_used_count", 8)]
    assert "4 experts with 8 used" in _error(minimal_model(experts))


def test_source_returning_short_reads() -> None:
    class Liar(MemorySource):
        def size(self) -> int:
            return len(self.data) + 10**6

    message = _error(b"")  # sanity: empty memory source
    assert "not a GGUF file" in message
    with pytest.raises(GGUFError, match="ended at byte"):
        read_model([Liar("liar.gguf", minimal_model()[:100])])


def test_gemma3_written_with_a_period_reads_back(tmp_path: Path) -> None:
    model = write_gemma3(tmp_path, n_layer=12, swa_pattern=3, n_swa=256)
    spec = read_model(model.path)
    assert spec.swa_layers == (True, True, False) * 4 and spec.n_swa == 256
