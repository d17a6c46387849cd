"""The engine with the real Gemma 3 270M model in a real worker process.

Small contexts and few tokens keep it quick; decode runs ~20 tokens/s on the CI cores.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from spark_desktop.cli import main
from spark_desktop.engine import (
    ChatDone,
    ChatTemplateError,
    Client,
    LoadCancelledError,
    ModelLoadError,
    NoModelLoadedError,
    TextDelta,
    WorkerDiedError,
)
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.engine_events import collect

pytestmark = pytest.mark.slow

# Settings shared with the in-process reference: flash attention and threads
# change the float arithmetic, so both sides must use the same ones.
OPTIONS = LoadSettings(n_ctx=1024, n_batch=512, n_ubatch=128, flash_attn="off", threads=2)
GREEDY = SamplingSettings(temperature=0.0, max_tokens=12)
BRIEF = SamplingSettings(temperature=0.0, max_tokens=3)
HELLO = [{"role": "user", "content": "Write a short poem about the sea."}]
LONG = SamplingSettings(temperature=0.0, max_tokens=400, ignore_eos=True)

REFERENCE = r"""
import json, sys, llama_cpp
path, prompt, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
llm = llama_cpp.Llama(path, n_ctx=1024, n_batch=512, n_ubatch=128, n_threads=2,
                      n_threads_batch=2, flash_attn=False, verbose=False)
tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
out = []
for t in llm.generate(tokens, temp=0.0):
    if llama_cpp.llama_vocab_is_eog(llm._model.vocab, t) or len(out) == n:
        break
    out.append(t)
print(json.dumps({"prompt": len(tokens), "ids": out}))
"""


@pytest.fixture(scope="module")
def engine(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("engine") / "engine.log")
    client.load(test_model, OPTIONS)
    yield client
    client.close()


def test_greedy_output_is_token_identical_to_llama_cpp_python(engine: Client,
                                                              test_model: Path) -> None:
    # Gemma's own turn format, as llama.cpp's "gemma" template writes it
    prompt = ("<start_of_turn>user\nWrite a short poem about the sea.<end_of_turn>\n"
              "<start_of_turn>model\n")
    ref = json.loads(subprocess.run(
        [sys.executable, "-c", REFERENCE, str(test_model), prompt, str(GREEDY.max_tokens)],
        capture_output=True, text=True, check=True, timeout=300).stdout.splitlines()[-1])
    text, done = collect(engine.chat(HELLO, GREEDY))
    assert engine.loaded is not None and engine.loaded.info.chat_template == "gemma"
    assert done.prompt_tokens == ref["prompt"]
    assert list(done.token_ids) == ref["ids"]
    assert done.completion_tokens == len(ref["ids"]) and text
    assert done.finish_reason in ("stop", "length") and done.ttft_ms > 0 and done.decode_tps > 0


def test_loaded_model_reports_what_llama_cpp_allocated(engine: Client) -> None:
    loaded = engine.loaded
    assert loaded is not None and loaded.memory is not None
    assert loaded.info.architecture == "gemma3" and loaded.info.n_ctx == 1024
    assert loaded.memory.weights > 200 * 2**20 and loaded.memory.kv_cache > 0
    assert loaded.memory.compute > 0
    assert engine.count_tokens(HELLO) == 17


def test_cancel_mid_stream_keeps_partial_text(engine: Client) -> None:
    text, done = [], None
    for event in engine.chat(HELLO, LONG):
        if isinstance(event, TextDelta):
            text.append(event.text)
            if len(text) == 3:  # from another thread, as a UI's stop button would
                threading.Thread(target=engine.cancel).start()
        elif isinstance(event, ChatDone):
            done = event
    assert done is not None and done.finish_reason == "cancelled"
    assert 3 <= done.completion_tokens < LONG.max_tokens and "".join(text)
    again, after = collect(engine.chat(HELLO, BRIEF))  # the worker is still usable
    assert after.finish_reason in ("stop", "length") and again


def test_kill_9_mid_stream(test_model: Path, tmp_path: Path) -> None:
    with Client(log_path=tmp_path / "engine.log") as client:
        client.load(test_model, OPTIONS)
        first_pid = client.worker_pid
        text = []
        with pytest.raises(WorkerDiedError) as died:
            for event in client.chat(HELLO, LONG):
                if isinstance(event, TextDelta):
                    text.append(event.text)
                    if len(text) == 3:
                        os.kill(first_pid, signal.SIGKILL)
        assert len(text) >= 3 and "".join(text)  # what streamed before the death stays
        assert died.value.exit_code == -signal.SIGKILL and "SIGKILL" in str(died.value)
        assert died.value.log_tail and any("llama" in line for line in died.value.log_tail)
        assert client.loaded is None
        with pytest.raises(NoModelLoadedError):
            client.chat(HELLO, GREEDY)
        client.load(test_model, OPTIONS)  # a fresh worker
        assert client.worker_pid not in (None, first_pid)
        again, done = collect(client.chat(HELLO, BRIEF))
        assert done.finish_reason in ("stop", "length") and again


def test_bad_files_give_clear_errors(test_model: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with open(test_model, "rb") as src:
        truncated.write_bytes(src.read(3 * 2**20))
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("these are not the weights you are looking for\n" * 100)
    with Client(log_path=tmp_path / "engine.log") as client:
        with pytest.raises(ModelLoadError, match="not a GGUF"):
            client.load(not_gguf, OPTIONS)
        with pytest.raises(ModelLoadError, match="incomplete"):
            client.load(truncated, OPTIONS)
        with pytest.raises(ModelLoadError, match="does not exist"):
            client.load(tmp_path / "missing.gguf", OPTIONS)
        loaded = client.load(test_model, OPTIONS)  # same client, still fine
        assert loaded.info.n_layer == 18
        pid = client.worker_pid
        client.unload()  # the worker exits: the OS has every byte back
        assert pid is not None and not psutil.pid_exists(pid) and client.worker_pid is None


def test_cancel_a_load(test_model: Path, tmp_path: Path) -> None:
    with Client(log_path=tmp_path / "engine.log") as client:
        seen: list[float] = []

        def progress(fraction: float) -> None:
            seen.append(fraction)
            client.cancel()

        with pytest.raises(LoadCancelledError):
            client.load(test_model, OPTIONS, on_progress=progress)
        assert seen and client.loaded is None


def test_context_overflow_drops_oldest_turns(test_model: Path, tmp_path: Path) -> None:
    messages = [{"role": "system", "content": "You are brief."}]
    for i in range(12):
        messages += [{"role": "user", "content": f"Question {i}: " + "tell me more " * 8},
                     {"role": "assistant", "content": f"Answer {i}: " + "here is more " * 8}]
    messages.append({"role": "user", "content": "And finally?"})
    options = LoadSettings(n_ctx=256, n_batch=256, n_ubatch=256, threads=2)
    with Client(log_path=tmp_path / "engine.log") as client:
        client.load(test_model, options)
        assert client.count_tokens(messages) > 256
        _text, done = collect(client.chat(messages, SamplingSettings(temperature=0, max_tokens=8)))
    assert done.dropped_messages > 0 and done.dropped_messages % 2 == 0
    assert done.prompt_tokens <= 256 - 8 and done.finish_reason in ("stop", "length")


def test_generate_json_cli(test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", str(test_model), "-p", "Hi", "--max-tokens", "4",
                 "--temperature", "0", "--ctx", "512", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert {"text", "finish_reason", "prompt_tokens", "completion_tokens", "ttft_ms",
            "decode_tps", "prefill_tps"} <= set(result)
    assert result["memory"]["weights"] > 0 and result["memory"]["kv_cache"] > 0
    assert result["completion_tokens"] <= 4


def test_chat_templates_never_guess(test_model: Path, tmp_path: Path) -> None:
    from tests.fixtures.synthetic_models import write_llama

    tiny = write_llama(tmp_path / "tiny").paths[0]  # a llama model without a chat template
    options = LoadSettings(n_ctx=128, n_batch=128, n_ubatch=128, threads=1)
    jinja = ("{{ bos_token }}{% for m in messages %}<start_of_turn>"
             "{{ 'model' if m.role == 'assistant' else m.role }}\n{{ m.content }}<end_of_turn>\n"
             "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")
    with Client(log_path=tmp_path / "engine.log") as client:
        with pytest.raises(ChatTemplateError, match="no chat template"):
            client.load(tiny, options)
        named = client.load(tiny, dataclasses.replace(options, chat_template="chatml"))
        assert named.info.chat_template == "chatml"
        custom = client.load(test_model, dataclasses.replace(OPTIONS, chat_template=jinja))
        assert custom.info.chat_template == "custom"
        # the Jinja twin of llama.cpp's gemma template gives the same tokens, one BOS
        assert client.count_tokens(HELLO) == 17


def test_chat_cli_reads_lines_until_exit(test_model: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from spark_desktop.history import HistoryStore

    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello\n\n/reset\nHi again\n/exit\nnever\n"))
    assert main(["chat", str(test_model), "--max-tokens", "2", "--temperature", "0",
                 "--ctx", "256", "--system", "Be brief."]) == 0
    with HistoryStore.open() as store:
        convs = sorted(store.list_conversations(), key=lambda c: c.created_at)
        assert [c.title for c in convs] == ["Hello", "Hi again"]
        assert all(c.system_prompt == "Be brief." for c in convs)
        (_, first), (_, second) = (store.active_path(c.id) for c in convs)
    assert first.completion_tokens <= 2 and second.completion_tokens <= 2
    # after /reset the second turn starts over (system + "Hi again", one token more than
    # "Hello"); without it the first turn would be in the prompt too
    assert first.prompt_tokens == second.prompt_tokens - 1
    assert "saved as conversation" in capsys.readouterr().err


def test_chat_cli_without_save_keeps_nothing(test_model: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from spark_desktop.history import HistoryStore

    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello\nAgain\n"))
    assert main(["chat", str(test_model), "--max-tokens", "2", "--temperature", "0",
                 "--ctx", "256", "--no-save"]) == 0
    with HistoryStore.open() as store:
        assert store.list_conversations() == []


def test_death_during_load_is_reported(test_model: Path, tmp_path: Path) -> None:
    with Client(log_path=tmp_path / "engine.log") as client:
        client.start()
        pid = client.worker_pid
        assert pid is not None

        def progress(_fraction: float) -> None:
            os.kill(pid, signal.SIGKILL)  # as a CUDA out-of-memory abort would end it

        with pytest.raises(WorkerDiedError, match="loading the model"):
            client.load(test_model, OPTIONS, on_progress=progress)
        assert client.worker_pid is None and client.loaded is None
