"""Learning from this machine's runs (fit.measured): recording, the bounded correction,
family + quantization runs, reset, `fit` showing them, and the chat turn's hook."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from spark_desktop import cli, paths
from spark_desktop.engine import ChatDone, Client
from spark_desktop.engine.events import LoadedModel, ModelInfo
from spark_desktop.engine.memory_report import MemoryReport
from spark_desktop.fit import estimate, measured
from spark_desktop.gguf import read_model
from spark_desktop.hardware.probe import describe, probe
from spark_desktop.hardware.targets import target_for_machine
from spark_desktop.inference_settings import LoadSettings

GIB = 1024 ** 3
MACHINE = describe("AMD EPYC", 2, 24 * GIB, 20 * GIB, (), frozenset({"avx2", "fma"}), "x86_64")


def _reply(path: Path, decode: float, prefill: float, prompt: int = 200,
           completion: int = 100, cached: int = 0) -> tuple[LoadedModel, ChatDone]:
    """A finished reply whose prompt had `cached` tokens already in the engine's cache."""
    info = ModelInfo(path=str(path), description="", architecture="gemma3", n_params=0,
                     size_bytes=0, n_ctx_train=32768, n_ctx=4096, n_layer=18, chat_template="gguf")
    loaded = LoadedModel(info=info, options=LoadSettings(threads=2),
                         memory=MemoryReport(0, 0, 0, 0), load_seconds=0.0, log_lines=())
    ttft_ms = (prompt - cached) / prefill * 1000 + 5  # the new tokens read, then a token
    done = ChatDone(finish_reason="length", prompt_tokens=prompt, completion_tokens=completion,
                    ttft_ms=ttft_ms, prefill_tps=prefill, decode_tps=decode, dropped_messages=0)
    return loaded, done


def _runs(test_model: Path, ratio: float, n: int = 3) -> list[measured.MeasuredRun]:
    """n runs of the test model measured at `ratio` times their own prediction."""
    loaded, done = _reply(test_model, 1.0, 1.0)
    base = measured.run_from_reply(loaded, done, MACHINE)
    assert base is not None
    return [dataclasses.replace(base, decode_tps=base.predicted_decode * ratio,
                                prefill_tps=base.predicted_prefill * ratio) for _ in range(n)]


def test_a_reply_is_recorded_with_its_own_prediction(test_model: Path) -> None:
    loaded, done = _reply(test_model, 31.0, 240.0)
    run = measured.run_from_reply(loaded, done, MACHINE)
    assert run is not None
    assert (run.file, run.family, run.quant) == (test_model.name, "gemma3", "Q4_K_M")
    assert (run.depth, run.prompt, run.backend) == (250, 200, "cpu")
    settings = LoadSettings(n_ctx=4096, n_batch=2048, n_ubatch=512)
    expected = estimate(read_model(test_model), settings, target_for_machine(MACHINE), depth=250)
    assert run.predicted_decode == pytest.approx(expected.decode_tps)
    measured.record(run)
    paths.measured_runs_path().open("a").write('{"torn": \n')
    assert measured.load_runs() == [run]
    # Too short to say anything about speed: not a run.
    assert measured.run_from_reply(*_reply(test_model, 31.0, 240.0, completion=3), MACHINE) is None


def test_a_cached_prompt_prefix_teaches_decode_only(test_model: Path) -> None:
    loaded, done = _reply(test_model, 1.0, 1.0, prompt=400, cached=350)
    run = measured.run_from_reply(loaded, done, MACHINE)
    assert run is not None and run.predicted_prefill == 0.0 and run.predicted_decode > 0
    runs = [dataclasses.replace(run, decode_tps=run.predicted_decode * 1.2, prefill_tps=9.0)]
    fix = measured.correction(runs, read_model(test_model), measured.machine_key(MACHINE), "cpu")
    assert fix is not None
    assert fix.decode == pytest.approx(1.2) and fix.prefill == 1.0


@pytest.mark.parametrize("ratio", [1.2, 3.0, 0.2])
def test_runs_pull_the_prediction_toward_them_within_the_bound(test_model: Path,
                                                               ratio: float) -> None:
    spec = read_model(test_model)
    key = measured.machine_key(MACHINE)
    fix = measured.correction(_runs(test_model, ratio), spec, key, "cpu")
    assert fix is not None and "3 runs of this model" in fix.basis
    expected = min(measured.MAX_FACTOR, max(1 / measured.MAX_FACTOR, ratio))
    assert fix.decode == pytest.approx(expected) and fix.prefill == pytest.approx(expected)
    target = target_for_machine(MACHINE)
    plain = estimate(spec, LoadSettings(), target)
    learnt = estimate(spec, LoadSettings(), target, correction=fix)
    assert learnt.decode_tps == pytest.approx(plain.decode_tps * expected)
    assert all(a.decode_tps == pytest.approx(b.decode_tps * expected)
               for a, b in zip(learnt.by_depth, plain.by_depth))
    # Another machine, or the other backend, learns nothing from them.
    assert measured.correction(_runs(test_model, ratio), spec, "another CPU", "cpu") is None
    assert measured.correction(_runs(test_model, ratio), spec, key, "gpu") is None


def test_a_model_of_the_same_family_and_quantization_benefits_half_way(test_model: Path) -> None:
    spec = read_model(test_model)
    cousin = dataclasses.replace(spec, name="Gemma 3 1B")
    other_quant = dataclasses.replace(spec, name="Gemma 3 1B", quantization="Q8_0")
    runs = _runs(test_model, 1.44)
    key = measured.machine_key(MACHINE)
    fix = measured.correction(runs, cousin, key, "cpu")
    assert fix is not None and fix.decode == pytest.approx(1.2) and "half-way" in fix.basis
    assert measured.correction(runs, other_quant, key, "cpu") is None
    assert measured.measured_here(runs, cousin, key) is None
    decode, _, n = measured.measured_here(runs, spec, key)
    assert n == 3 and decode == pytest.approx(runs[0].decode_tps)


def test_fit_shows_the_measured_speed_and_reset_forgets_it(
        test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    here = probe()
    loaded, done = _reply(test_model, 1.0, 1.0)
    run = measured.run_from_reply(loaded, done, here)
    assert run is not None
    measured.record(dataclasses.replace(run, decode_tps=run.predicted_decode * 1.3,
                                        prefill_tps=run.predicted_prefill * 0.9))
    assert cli.main(["fit", str(test_model), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["measured"]["runs"] == 1
    assert data["measured"]["decode_tps"] == pytest.approx(run.predicted_decode * 1.3, abs=0.1)
    assert data["measured"]["correction"]["decode"] == pytest.approx(1.3, abs=1e-3)
    assert cli.main(["fit", str(test_model)]) == 0
    table = capsys.readouterr().out
    assert "measured here:" in table and "learnt from 1 run of this model" in table
    assert cli.main(["fit", str(test_model), "--json", "--reset-measured"]) == 0
    out = capsys.readouterr()
    plain = json.loads(out.out)
    assert "measured" not in plain and "forgot 1 measured runs" in out.err
    assert measured.load_runs() == []
    # The defaults are back: the learnt x1.3 is gone from every predicted speed.
    assert data["predicted"]["decode_tps"] == pytest.approx(
        1.3 * plain["predicted"]["decode_tps"], abs=0.1)


@pytest.mark.slow
def test_a_chat_turn_records_its_speed(engine: Client, tmp_path: Path) -> None:
    from spark_desktop.chat import Turn
    from spark_desktop.history import HistoryStore
    from spark_desktop.inference_settings import SamplingSettings

    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation()
        text = "Tell me a long story about a lighthouse keeper and the sea, with many details."
        events = list(Turn.send(store, engine, conv.id, text,
                                sampling=SamplingSettings(temperature=0.0, max_tokens=32,
                                                         ignore_eos=True)).run())
    done = events[-1].done
    runs = measured.load_runs()
    assert len(runs) == 1 and runs[0].decode_tps == done.decode_tps
    assert runs[0].prompt == done.prompt_tokens and runs[0].predicted_decode > 0
