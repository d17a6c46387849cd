"""The spec sheet (compare --spec): rows for the real local models and for Hub quantizations
served by the fake Hub, an unreadable model as a row of its own, the JSON keys."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from spark_desktop import fit
from spark_desktop.commands.compare_spec import run_spec
from spark_desktop.compare import spec as sheet
from spark_desktop.gguf import read_model
from spark_desktop.hardware import resolve_target
from spark_desktop.inference_settings import LoadSettings
from tests.fakehub import FakeHub, Fault, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)
from tests.fixtures.real_model import smollm2_path
from tests.fixtures.synthetic_models import write_qwen3moe

KEYS = {"model", "repo", "architecture", "parameters", "active_parameters", "quantization",
        "file_size", "context_length", "license", "context", "target", "memory", "fits",
        "verdict", "max_context", "decode_tps", "prefill_tps", "error"}


def _args(*models: str, ctx: int | None = None, target: str = "spark",
          as_json: bool = True) -> argparse.Namespace:
    return argparse.Namespace(models=list(models), ctx=ctx, target=target, json=as_json,
                              rpc=None)


def _sheet(capsys: pytest.CaptureFixture[str], *models: str, **kw: object
           ) -> tuple[int, list[dict]]:
    code = run_spec(_args(*models, **kw))  # type: ignore[arg-type]
    return code, json.loads(capsys.readouterr().out)


def test_local_real_models_side_by_side(capsys, test_model: Path) -> None:
    code, rows = _sheet(capsys, str(test_model), str(smollm2_path()), ctx=2048)
    assert code == 0 and [r["model"] for r in rows] == [str(test_model), str(smollm2_path())]
    spark = resolve_target("spark")
    for row, path in zip(rows, (test_model, smollm2_path())):
        assert set(row) == KEYS and row["error"] is None
        spec = read_model(path)
        est = fit.estimate(spec, LoadSettings(n_ctx=2048), spark)
        assert (row["architecture"], row["parameters"], row["quantization"]) == \
            (spec.architecture, spec.parameters, spec.quantization)
        assert row["active_parameters"] == spec.parameters  # dense models
        assert row["file_size"] == path.stat().st_size
        assert row["memory"] == est.total and row["max_context"] == est.max_context
        assert row["context"] == 2048 and row["context_length"] == spec.context_length
        assert row["fits"] is True and row["verdict"] == "fits"
        assert row["decode_tps"] == round(est.decode_tps, 1) > 0
        assert row["prefill_tps"] == round(est.prefill_tps, 1) > 0
    assert rows[0]["architecture"] == "gemma3" and rows[1]["architecture"] == "llama"
    assert rows[1]["license"] == "apache-2.0"  # SmolLM2's general.license


def test_a_small_target_does_not_fit_and_names_the_largest_context(
        capsys, test_model: Path) -> None:
    _, big = _sheet(capsys, str(test_model), ctx=8192, target="spark")
    _, small = _sheet(capsys, str(test_model), ctx=32768, target="2")
    assert small[0]["memory"] > big[0]["memory"]  # four times the KV cache
    assert small[0]["fits"] is False and small[0]["verdict"] != "fits"
    assert 0 < small[0]["max_context"] < 32768


def test_a_truncated_gguf_is_a_row_with_its_reason(capsys, tmp_path: Path) -> None:
    whole = smollm2_path()
    cut = tmp_path / "cut-Q4_1.gguf"
    cut.write_bytes(whole.read_bytes()[:3_000_000])
    code, rows = _sheet(capsys, str(cut), str(whole), "no-such-model")
    assert code == 2
    assert "truncated" in rows[0]["error"] and rows[0]["memory"] is None
    assert rows[1]["error"] is None and rows[1]["memory"] > 0
    assert "no-such-model" in rows[2]["error"]
    assert all(set(r) == KEYS for r in rows)


def test_the_text_table_is_aligned(capsys, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(smollm2_path().read_bytes()[:1000])
    assert run_spec(_args(str(smollm2_path()), str(cut), as_json=False)) == 2
    lines = capsys.readouterr().out.splitlines()
    header, first = lines[0], lines[1]
    assert header.split()[:2] == ["MODEL", "ARCH"]
    # a right-aligned figure ends where its title ends; a left-aligned word starts with it
    assert first[header.index("QUANT"):].startswith("Q4_1")
    end = header.index("PARAMS") + len("PARAMS")
    assert first[:end].endswith("0.13 B")
    assert lines[3].startswith("  error:") and "cut.gguf" in lines[3]


def test_active_parameters_of_a_mixture_of_experts(tmp_path: Path) -> None:
    moe = write_qwen3moe(tmp_path, n_layer=2, n_embd=64, n_ff_exp=64, n_expert=4,
                         n_expert_used=1)
    spec = read_model(moe.path)
    unused = 2 * 3 * 64 * 64 * 3  # per layer: gate, up, down of the 3 experts a token skips
    assert sheet.active_parameters(spec) == spec.parameters - unused


def test_hub_quantizations_of_the_fake_hub(capsys, hub: FakeHub) -> None:  # noqa: F811
    q4 = hub.repos["acme/tiny-GGUF"].files["Q4_0/tiny-Q4_0.gguf"].source.read_bytes()
    # the same model without general.license (a key of the same length the reader ignores)
    unlicensed = q4.replace(b"general.license", b"general.licence", 1)
    assert unlicensed != q4
    hub.add_repo("acme/licensed-GGUF", {"l-Q4_0.gguf": unlicensed,
                                        "README.md": b"---\nlicense: mit\n---\n# licensed\n"})
    mark = hub.mark()
    code, rows = _sheet(capsys, "acme/tiny-GGUF:*", "acme/licensed-GGUF:Q4_0", ctx=1024)
    assert code == 0
    # the repository's quantizations, smallest file first, then the other reference
    assert [r["model"] for r in rows] == ["acme/tiny-GGUF:Q4_0", "acme/tiny-GGUF:F16",
                                          "acme/tiny-GGUF:Q8_0", "acme/licensed-GGUF:Q4_0"]
    repo = hub.repos["acme/tiny-GGUF"].files
    assert rows[2]["file_size"] == repo["tiny-Q8_0.gguf"].size
    assert rows[1]["file_size"] == sum(f.size for p, f in repo.items() if p.startswith("F16/"))
    assert [r["quantization"] for r in rows[:3]] == ["Q4_0", "F16", "Q8_0"]
    assert rows[0]["file_size"] < rows[1]["file_size"] < rows[2]["file_size"]
    assert rows[2]["memory"] > rows[0]["memory"]  # the Q8_0 is the largest model too
    assert all(r["repo"] == "acme/tiny-GGUF" and r["fits"] for r in rows[:3])
    assert rows[0]["license"] == "apache-2.0"  # the GGUF's own general.license
    assert rows[3]["license"] == "mit"  # the card's, since the GGUF names none
    total = sum(f.size for r in hub.repos.values() for f in r.files.values())
    assert hub.bytes_since(mark) < total / 4  # headers only, never the weights


def test_an_unreadable_hub_file_is_one_row(capsys, hub: FakeHub, monkeypatch) -> None:  # noqa: F811
    from spark_desktop.hub import RetryPolicy, retry

    monkeypatch.setattr(retry, "HEADER_READS", RetryPolicy(attempts=2, base_delay=0.01,
                                                           max_delay=0.02, read_timeout=5.0))
    hub.scripts = {"F16/tiny-F16-00002-of-00002.gguf": [Fault(status=503, stays=True)]}
    code, rows = _sheet(capsys, "acme/tiny-GGUF:F16", "acme/tiny-GGUF:Q8_0", "acme/nothing")
    assert code == 2
    assert "503" in rows[0]["error"] and rows[0]["quantization"] == "F16"
    assert rows[0]["file_size"] > 0  # known from the listing without the header
    assert rows[1]["error"] is None and rows[1]["fits"] is True
    assert rows[2]["model"] == "acme/nothing" and rows[2]["error"]


def test_the_fit_limit_of_a_row() -> None:
    row = sheet.SpecRow(model="m", file_size=4 << 30, memory=6 << 30, usable=10 << 30)
    assert row.size_limit == 8 << 30  # 10 GiB less the 2 GiB that are not weights
    assert sheet.SpecRow(model="m", error="x").size_limit is None


def test_rpc_peers_join_the_target_as_fit_plans_it(capsys, tmp_path: Path) -> None:
    """With --rpc the sheet plans on this machine plus the peers, as `fit --rpc` does."""
    from spark_desktop import cli
    from tests.test_rpc import free_port, start_server, stop

    ports = (free_port(),)
    procs = [start_server(p, tmp_path / f"server-{p}.log") for p in ports]
    try:
        peers = ",".join(f"127.0.0.1:{p}" for p in ports)
        assert cli.main(["fit", str(smollm2_path()), "--rpc", peers, "--json"]) == 0
        planned = json.loads(capsys.readouterr().out)
        args = _args(str(smollm2_path()), target="this")
        args.rpc = peers
        code = run_spec(args)
        row = json.loads(capsys.readouterr().out)[0]
    finally:
        for proc in procs:
            stop(proc)
    assert code == 0 and row["error"] is None
    assert row["target"] == planned["target"]["name"] != "this" and len(planned["pools"]) == 2
    assert row["memory"] == pytest.approx(planned["memory"]["total"], rel=0.02)
    assert row["verdict"] == planned["fits"]


def test_the_compare_command_prints_the_sheet_with_spec(capsys, test_model: Path) -> None:
    """`spark-desktop compare --spec` reaches the sheet through the CLI's own parser."""
    from spark_desktop.cli import main

    assert main(["compare", "--spec", str(test_model), str(smollm2_path()), "--ctx", "2048",
                 "--target", "spark", "--json"]) == 0
    through_cli = json.loads(capsys.readouterr().out)
    assert (0, through_cli) == _sheet(capsys, str(test_model), str(smollm2_path()), ctx=2048)
