"""doctor's verdicts fed with the facts of a GB10, an H100 and a machine without a GPU;
the build probe against the real llama-cpp-python; the command on this machine."""

from __future__ import annotations

import http.server
import json
import os
import socket
import threading
from pathlib import Path

import pytest

from spark_desktop import cli, doctor
from spark_desktop.doctor import Check, QtFacts, Status
from spark_desktop.engine import build_info
from spark_desktop.engine.build_info import BuildInfo
from spark_desktop.engine.smoke import SMOKE_TOKENS, SmokeResult, run_smoke
from spark_desktop.hardware import parse_nvidia_smi
from spark_desktop.hardware.probe import describe
from spark_desktop.hardware.targets import target_for_machine
from spark_desktop.hub import session

GIB = 1024 ** 3
# nvidia-smi --query-gpu=name,memory.total,memory.used,compute_cap,driver_version
#            --format=csv,noheader,nounits
GB10_SMI = "NVIDIA GB10, [N/A], [N/A], 12.1, 580.95.05\n"
H100_SMI = "NVIDIA H100 80GB HBM3, 81559, 0, 9.0, 550.54.15\n"
NO_GPU_SMI = ""


def _build(cuda_archs: str | None = None, rpc: bool = True) -> BuildInfo:
    """A probe answer as llama-cpp-python prints it; cuda_archs as __CUDA_ARCH_LIST__."""
    backends = ["CPU"] + (["RPC"] if rpc else [])
    info = "CPU : AVX2 = 1 | "
    if cuda_archs is not None:
        backends.insert(0, "CUDA")
        info = f"CUDA : ARCHS = {cuda_archs} | USE_GRAPHS = 1 | " + info
    return build_info.from_probe({"version": "0.3.36", "backends": backends,
                                  "system_info": info, "rpc": rpc, "libraries": []})


def test_parse_cuda_archs_from_system_info() -> None:
    assert build_info.parse_cuda_archs("CUDA : ARCHS = 890,1210 | USE_GRAPHS = 1 |") == (
        "89", "121")
    assert build_info.parse_cuda_archs("CPU : AVX2 = 1 |") == ()


def test_build_keys_and_requirements() -> None:
    gb10 = _build("1210")
    assert gb10.cuda and gb10.key == "cuda:121+rpc"
    assert build_info.satisfies(gb10, "cuda:121+rpc")
    assert not build_info.satisfies(gb10, "cuda:90+rpc")
    assert not build_info.satisfies(gb10, "cpu+rpc")
    assert build_info.satisfies(_build("900,1210"), "cuda:121+rpc")
    cpu = _build()
    assert cpu.key == "cpu+rpc" and build_info.satisfies(cpu, "cpu+rpc")
    assert not build_info.satisfies(_build(rpc=False), "cpu+rpc")
    missing = build_info.from_probe({"error": "ModuleNotFoundError: llama_cpp"})
    assert missing.version is None and not build_info.satisfies(missing, "cpu+rpc")


def test_probe_of_the_real_llama_cpp_python() -> None:
    """The venv's build, probed in a subprocess: CUDA exactly where this machine has an
    NVIDIA GPU (the set-up builds for it), the CPU backend always."""
    from spark_desktop.hardware.probe import detect_gpus

    info = build_info.probe()
    assert info.version and info.error is None
    assert "CPU" in info.backends and info.cuda == bool(detect_gpus())
    assert any(name.startswith("libllama") for name in info.libraries)
    missing = build_info.probe("/nonexistent/python")
    assert missing.version is None and "did not run" in (missing.error or "")


@pytest.mark.parametrize(("smi", "build", "status", "words"), [
    (GB10_SMI, _build("1210"), Status.OK, "CUDA for sm_121"),
    (GB10_SMI, _build(), Status.PROBLEM, "without CUDA"),
    (GB10_SMI, _build("900"), Status.WARNING, "not built for the NVIDIA GB10"),
    (H100_SMI, _build("900"), Status.OK, "CUDA for sm_90"),
    (H100_SMI, _build("1210"), Status.PROBLEM, "cannot run this build"),
    (H100_SMI, _build(), Status.PROBLEM, "the NVIDIA H100 80GB HBM3 is unused"),
    (NO_GPU_SMI, _build(), Status.OK, "CPU backend"),
    (NO_GPU_SMI, _build("1210"), Status.WARNING, "no NVIDIA GPU answers"),
])
def test_backend_verdicts(smi: str, build: BuildInfo, status: Status, words: str) -> None:
    check = doctor.check_backend(build, parse_nvidia_smi(smi))
    assert check.status is status
    assert words in check.detail
    if status is Status.PROBLEM and build.version:
        assert "installers/linux/install.sh" in check.advice


def test_backend_that_does_not_load_is_a_problem() -> None:
    broken = build_info.from_probe({"error": "OSError: libggml.so: cannot open"})
    check = doctor.check_backend(broken, parse_nvidia_smi(GB10_SMI))
    assert check.status is Status.PROBLEM and "libggml.so" in check.detail
    assert doctor.check_rpc(broken).status is Status.WARNING


def test_rpc_verdicts() -> None:
    assert doctor.check_rpc(_build("1210")).status is Status.OK
    assert doctor.check_rpc(_build(rpc=False)).status is Status.WARNING


def test_gpu_verdicts() -> None:
    gb10 = doctor.check_gpu(parse_nvidia_smi(GB10_SMI), nvidia_device=True)
    assert gb10.status is Status.OK
    assert "NVIDIA GB10 (compute capability 12.1, unified memory), driver 580.95.05" \
        == gb10.detail
    h100 = doctor.check_gpu(parse_nvidia_smi(H100_SMI), nvidia_device=True)
    assert h100.status is Status.OK and "79.6 GiB" in h100.detail
    assert doctor.check_gpu((), nvidia_device=False).status is Status.OK
    silent = doctor.check_gpu((), nvidia_device=True)
    assert silent.status is Status.WARNING and "nvidia-smi" in silent.advice


def test_memory_pool_is_the_estimators_target() -> None:
    gb10 = describe("Cortex-X925", 20, int(119.7 * GIB), 110 * GIB,
                    parse_nvidia_smi(GB10_SMI))
    check = doctor.check_memory_pool(target_for_machine(gb10))
    assert check.status is Status.OK
    assert "NVIDIA GB10 (unified): 110.0 GiB" in check.detail
    h100 = describe("Xeon", 32, 512 * GIB, 500 * GIB, parse_nvidia_smi(H100_SMI))
    assert "(gpu)" in doctor.check_memory_pool(target_for_machine(h100)).detail
    tiny = describe("Atom", 2, 4 * GIB, GIB, ())
    assert doctor.check_memory_pool(target_for_machine(tiny)).status is Status.PROBLEM


def test_folder_verdicts(tmp_path: Path) -> None:
    assert doctor.check_folder("Models folder", tmp_path, 100 * GIB, True,
                               low=20 * GIB, too_low=GIB).status is Status.OK
    assert doctor.check_folder("Models folder", tmp_path, 5 * GIB, True,
                               low=20 * GIB, too_low=GIB).status is Status.WARNING
    assert doctor.check_folder("Models folder", tmp_path, GIB // 2, True,
                               low=20 * GIB, too_low=GIB).status is Status.PROBLEM
    assert doctor.check_folder("Data folder", tmp_path, 100 * GIB, False,
                               low=GIB, too_low=1).status is Status.PROBLEM


def test_qt_verdicts() -> None:
    missing = ("libxcb-cursor.so.0", "libxkbcommon-x11.so.0")
    x11 = doctor.check_qt(QtFacts("6.9.0", "6.9.0", None, "xcb", missing))
    assert x11.status is Status.PROBLEM
    assert x11.advice.endswith("sudo apt install libxcb-cursor0 libxkbcommon-x11-0")
    assert doctor.check_qt(QtFacts("6.9.0", "6.9.0", None, "offscreen", missing)).status \
        is Status.WARNING
    assert doctor.check_qt(QtFacts("6.9.0", "6.9.0", None, "wayland", ())).status is Status.OK
    assert doctor.check_qt(QtFacts("6.9.0", "6.9.0", None, "none", ())).status \
        is Status.WARNING
    broken = doctor.check_qt(QtFacts(None, None, "ImportError: libEGL.so.1", "xcb", ()))
    assert broken.status is Status.PROBLEM and "libEGL" in broken.detail


def test_qt_platform_and_ldd_parsing() -> None:
    assert doctor.qt_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert doctor.qt_platform({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == "wayland"
    assert doctor.qt_platform({"DISPLAY": ":0"}) == "xcb"
    assert doctor.qt_platform({}) == "none"
    ldd = ("\tlibxcb-cursor.so.0 => not found\n\tlibc.so.6 => /lib/x86_64/libc.so.6\n"
           "\tlibxcb-cursor.so.0 => not found\n")
    assert doctor.parse_ldd_missing(ldd) == ("libxcb-cursor.so.0",)
    assert doctor.debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"


def test_real_qt_loads_in_a_subprocess() -> None:
    facts = doctor.qt_facts(dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert facts.pyside_version and facts.error is None and facts.platform == "offscreen"
    assert doctor.check_qt(facts).status is not Status.PROBLEM


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_hub_is_a_warning_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    error = session.unreachable_reason(timeout=3)
    assert error
    check = doctor.check_hub(endpoint, offline_mode=False, error=error)
    assert check.status is Status.WARNING and check.detail.startswith("offline")
    assert doctor.check_hub(endpoint, offline_mode=True, error=None).status is Status.OK


def test_reachable_hub_is_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(401)  # any answer means the network path works
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        assert session.unreachable_reason() is None
        assert doctor.check_hub(endpoint, False, None).status is Status.OK
    finally:
        server.shutdown()
        server.server_close()


def test_python_verdicts() -> None:
    assert doctor.check_python((3, 11, 2), "/usr/bin/python3").status is Status.OK
    old = doctor.check_python((3, 10, 12), "/usr/bin/python3")
    assert old.status is Status.PROBLEM and "3.11" in old.advice


def test_all_ok_ignores_warnings() -> None:
    warn = Check("Hub", Status.WARNING, "offline", "check the network")
    assert doctor.all_ok([Check("Python", Status.OK, "3.11"), warn])
    assert not doctor.all_ok([warn, Check("GPU", Status.PROBLEM, "x", "y")])


def test_doctor_json_on_this_machine(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code = cli.main(["doctor", "--json"])
    result = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in result["checks"]]
    assert names == ["Python", "Qt", "llama.cpp backend", "llama.cpp runs", "llama.cpp RPC", "GPU",
                     "CJK font", "Memory pool", "Data folder", "Models folder", "Hugging Face Hub"]
    assert all(set(c) == {"name", "status", "detail", "advice"} for c in result["checks"])
    assert code == (0 if result["ok"] else 1)
    hub = result["checks"][-1]
    assert hub["status"] == "WARNING" and "offline" in hub["detail"]


def test_doctor_text_output(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    cli.main(["doctor"])
    out = capsys.readouterr().out
    assert "llama.cpp backend" in out and "offline mode" in out


def test_smoke_verdicts() -> None:
    ok = doctor.check_smoke(SmokeResult(True, "generated 4 tokens", 1.0))
    assert ok.status is Status.OK and "4 tokens" in ok.detail
    healed = doctor.check_smoke(SmokeResult(True, "generated 4 tokens", 1.0,
                                            ("A CPU feature was turned off: ...",)))
    assert healed.status is Status.WARNING and "CPU feature was turned off" in healed.detail
    broken = doctor.check_smoke(SmokeResult(False, "it was killed by SIGILL", 1.0))
    assert broken.status is Status.PROBLEM and "SIGILL" in broken.detail
    assert "install.sh" in broken.advice
    assert doctor.check_smoke(None).status is Status.WARNING


@pytest.mark.slow
def test_smoke_check_runs_a_real_model_in_a_child_process() -> None:
    result = run_smoke()
    assert result.ok, result.detail
    assert f"generated {SMOKE_TOKENS} tokens" in result.detail


@pytest.mark.slow
def test_smoke_check_reports_a_broken_backend_library(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """llama-cpp-python loads its libraries from LLAMA_CPP_LIB_PATH: point it at garbage."""
    broken = tmp_path / "lib"
    broken.mkdir()
    for name in ("libllama.so", "libggml.so", "libggml-base.so"):
        (broken / name).write_bytes(b"this is not a shared library\n" * 100)
    monkeypatch.setenv("LLAMA_CPP_LIB_PATH", str(broken))
    result = run_smoke(timeout=60)
    assert not result.ok
    check = doctor.check_smoke(result)
    assert check.status is Status.PROBLEM and "did not run" in check.detail
    assert "engine stopped unexpectedly" in result.detail


def test_cjk_font_verdicts(monkeypatch) -> None:
    assert doctor.check_cjk_font(("Noto Sans CJK SC", "WenQuanYi")).status is Status.OK
    missing = doctor.check_cjk_font(())
    assert missing.status is Status.WARNING and "fonts-noto-cjk" in missing.advice
    assert doctor.check_cjk_font(None).status is Status.WARNING
    monkeypatch.setenv("PATH", "")  # no fc-list to ask
    assert doctor.cjk_fonts() is None
