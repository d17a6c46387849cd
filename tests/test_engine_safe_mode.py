"""The engine heals itself after an illegal instruction (SIGILL) in llama.cpp's CPU kernels.

Without an AMX machine, the worker's test switch (SPARK_DESKTOP_TEST_SIGILL) dies the
way such a machine does: in the warm-up decode, while the repacked kernels are on.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from spark_desktop.engine import safe_mode
from spark_desktop.engine.safe_mode import TEST_SIGILL_ENV
from spark_desktop.inference_settings import SamplingSettings
from tests.conftest import chat_options

if TYPE_CHECKING:
    from spark_desktop.engine import Client

AMX_CPUINFO = """processor\t: 0
flags\t\t: fpu sse avx avx2 avx512f amx_bf16 amx_tile amx_int8
"""


def test_cpu_flags_and_reason_name_the_amx_features() -> None:
    flags = safe_mode.cpu_flags(AMX_CPUINFO)
    assert {"avx2", "amx_tile", "amx_int8"} <= flags
    reason = safe_mode.sigill_reason(flags)
    assert "A CPU feature was turned off" in reason
    assert "amx_tile" in reason and "avx2" not in reason
    assert "amx" not in safe_mode.sigill_reason(safe_mode.cpu_flags("flags: sse avx2\n"))


def test_choice_is_kept_per_build(tmp_path: Path) -> None:
    path = tmp_path / "quirks.json"
    a = safe_mode.build_key({"llama_cpp_python": "0.3.36", "system_info": "AVX2 = 1"})
    b = safe_mode.build_key({"llama_cpp_python": "0.3.36", "system_info": "AVX512 = 1"})
    assert a != b
    assert safe_mode.remembered(a, path) is None
    safe_mode.remember(a, safe_mode.SafeChoice(use_extra_bufts=False, reason="why"), path)
    assert safe_mode.remembered(a, path) == safe_mode.SafeChoice(False, "why")
    assert safe_mode.remembered(b, path) is None
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("{not json")
    assert safe_mode.remembered(a, path) is None  # a damaged file is no choice, not a crash


def _reply(client: Client, prompt: str = "The capital of France is") -> str:
    from spark_desktop.engine import TextDelta

    sampling = SamplingSettings(temperature=0, max_tokens=8)
    return "".join(e.text for e in client.chat([{"role": "user", "content": prompt}], sampling)
                   if isinstance(e, TextDelta))


@pytest.mark.slow
def test_sigill_at_first_load_restarts_with_the_safe_setting(
        test_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spark_desktop.engine import Client

    monkeypatch.setenv(TEST_SIGILL_ENV, "extra-bufts")
    with Client(log_path=tmp_path / "engine.log") as client:
        loaded = client.load(test_model, chat_options())
        assert loaded.options.use_extra_bufts is False
        assert len(loaded.notes) == 1 and "CPU feature was turned off" in loaded.notes[0]
        assert _reply(client).strip()  # the chat goes on
        key = safe_mode.build_key(client.worker_info)
    assert safe_mode.remembered(key) == safe_mode.SafeChoice(False, loaded.notes[0])

    # Remembered for this build: the next start goes straight to the safe path.
    with Client(log_path=tmp_path / "engine2.log") as client:
        client.start()
        pid = client.worker_pid
        again = client.load(test_model, chat_options())
        assert client.worker_pid == pid  # no death, no restart
        assert again.options.use_extra_bufts is False and again.notes == loaded.notes


@pytest.mark.slow
def test_second_sigill_is_a_clear_error_not_a_loop(
        test_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spark_desktop.engine import Client, WorkerDiedError

    monkeypatch.setenv(TEST_SIGILL_ENV, "always")
    started = time.monotonic()
    with Client(log_path=tmp_path / "engine.log") as client, \
            pytest.raises(WorkerDiedError) as info:
        client.load(test_model, chat_options())
    assert time.monotonic() - started < 60
    assert info.value.exit_code == -signal.SIGILL
    assert "Rebuild it for this machine" in str(info.value)
    assert "install.sh" in str(info.value)


@pytest.mark.slow
def test_sigill_during_a_reply_keeps_the_choice_for_the_reload(
        test_model: Path, tmp_path: Path) -> None:
    from spark_desktop.engine import Client, TextDelta, WorkerDiedError

    with Client(log_path=tmp_path / "engine.log") as client:
        client.load(test_model, chat_options())
        sampling = SamplingSettings(temperature=0, max_tokens=400, ignore_eos=True)
        stream = client.chat([{"role": "user", "content": "Count:"}], sampling)
        pid = client.worker_pid
        assert pid is not None
        with pytest.raises(WorkerDiedError) as info:
            for event in stream:
                if isinstance(event, TextDelta) and pid:
                    os.kill(pid, signal.SIGILL)
                    pid = 0
        assert "CPU feature was turned off" in str(info.value)
        assert "Load the model again" in str(info.value)
        reloaded = client.load(test_model, chat_options())
        assert reloaded.options.use_extra_bufts is False and reloaded.notes
        assert _reply(client).strip()
