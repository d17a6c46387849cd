"""installers/: CUDA-architecture and nvcc detection with fake tools on PATH, the desktop
entry and metainfo validators, the icons, the .deb tree, and one real install into a
temporary home followed by the installed `spark-desktop doctor --json` and --uninstall."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "installers" / "linux" / "install.sh"
BUILD_DEB = ROOT / "installers" / "deb" / "build-deb.sh"
ASSETS = ROOT / "assets"
APP_ID = "io.github.sparkdesktop.SparkDesktop"

GB10 = "12.1\n"
H100 = "9.0\n"


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def _nvidia_smi(bin_dir: Path, output: str, code: int = 0) -> None:
    """A fake nvidia-smi that answers --query-gpu=compute_cap like the real one."""
    _script(bin_dir / "nvidia-smi", f"printf '%s' '{output}'\nexit {code}")


def _nvcc(path: Path, release: str) -> Path:
    return _script(path, f"echo 'Cuda compilation tools, release {release}, V{release}.1'")


def _env(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    """PATH without /usr/local/bin (this machine's real nvcc lives there)."""
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path / "home"),
            "SPARK_DESKTOP_CUDA_PREFIX": str(tmp_path / "cuda-root")}


def _bash(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", f'source "{INSTALL}"; {command}'], env=env,
                          capture_output=True, text=True, check=False)


def _config(env: dict[str, str], *args: str) -> dict[str, str]:
    done = subprocess.run([str(INSTALL), "--print-build-config", *args], env=env,
                          capture_output=True, text=True, check=True)
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.mark.parametrize(("smi", "archs"), [
    (GB10, "121"), (H100, "90"), ("9.0\n9.0\n", "90"), ("8.6\n12.1\n", "86;121"),
])
def test_cuda_archs_from_nvidia_smi(tmp_path: Path, bin_dir: Path, smi: str, archs: str) -> None:
    _nvidia_smi(bin_dir, smi)
    assert _bash("detect_cuda_archs", _env(tmp_path, bin_dir)).stdout.strip() == archs


def test_no_gpu_means_no_archs(tmp_path: Path, bin_dir: Path) -> None:
    env = _env(tmp_path, bin_dir)
    assert _bash("detect_cuda_archs", env).stdout.strip() == ""  # no nvidia-smi at all
    _nvidia_smi(bin_dir, "NVIDIA-SMI has failed because it couldn't communicate", code=9)
    assert _bash("detect_cuda_archs", env).stdout.strip() == ""


def test_gb10_builds_cuda_for_sm121_with_rpc(tmp_path: Path, bin_dir: Path) -> None:
    _nvidia_smi(bin_dir, GB10)
    nvcc = _nvcc(tmp_path / "cuda-root" / "cuda-13.0" / "bin" / "nvcc", "13.0")
    config = _config(_env(tmp_path, bin_dir))
    assert config["backend"] == "cuda"
    assert config["nvcc"] == str(nvcc)
    assert config["cmake_args"] == (
        f"-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=121 -DGGML_RPC=on {_portable()}")
    assert config["key"] == "cuda:121+rpc"


def test_h100_builds_for_sm90(tmp_path: Path, bin_dir: Path) -> None:
    _nvidia_smi(bin_dir, H100)
    _nvcc(bin_dir / "nvcc", "12.4")
    config = _config(_env(tmp_path, bin_dir))
    assert config["cmake_args"] == (
        f"-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_RPC=on {_portable()}")
    assert config["key"] == "cuda:90+rpc"


def test_no_gpu_builds_for_cpu_with_rpc(tmp_path: Path, bin_dir: Path) -> None:
    _nvcc(bin_dir / "nvcc", "13.0")  # a toolkit without a GPU is still a CPU build
    config = _config(_env(tmp_path, bin_dir))
    assert config == {"backend": "cpu", "cuda_archs": "", "nvcc": "",
                      "cmake_args": f"-DGGML_RPC=on {_portable()}", "key": "cpu+rpc"}


def _portable() -> str:
    """The CPU flags every build gets: never -march=native (see install.sh)."""
    if os.uname().machine in ("aarch64", "arm64"):
        return "-DGGML_NATIVE=OFF -DGGML_CPU_ARM_ARCH=armv8.2-a+dotprod+fp16"
    return "-DGGML_NATIVE=OFF"


def test_portable_cpu_flags_for_each_architecture(tmp_path: Path, bin_dir: Path) -> None:
    env = _env(tmp_path, bin_dir)
    for machine, flags in (("x86_64", "-DGGML_NATIVE=OFF"),
                           ("aarch64", "-DGGML_NATIVE=OFF -DGGML_CPU_ARM_ARCH=armv8.2-a")):
        _script(bin_dir / "uname", f"echo {machine}")
        assert _bash("portable_cpu_args", env).stdout.startswith(flags)
        assert "native" not in _bash("portable_cpu_args", env).stdout.replace("NATIVE=OFF", "")


def test_gpu_without_nvcc_stops_with_advice_unless_cpu_is_asked(
        tmp_path: Path, bin_dir: Path) -> None:
    _nvidia_smi(bin_dir, GB10)
    env = _env(tmp_path, bin_dir)
    done = subprocess.run([str(INSTALL), "--print-build-config"], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "nvcc" in done.stderr and "--cpu" in done.stderr
    assert _config(env, "--cpu")["key"] == "cpu+rpc"


def test_cuda_own_nvcc_beats_an_older_one_on_path(tmp_path: Path, bin_dir: Path) -> None:
    _nvidia_smi(bin_dir, GB10)
    cuda = tmp_path / "cuda-root"
    _nvcc(bin_dir / "nvcc", "12.0")
    _nvcc(cuda / "cuda-12.8" / "bin" / "nvcc", "12.8")
    newest = _nvcc(cuda / "cuda-13.0" / "bin" / "nvcc", "13.0")
    env = _env(tmp_path, bin_dir)
    assert _bash("find_nvcc", env).stdout.strip() == str(newest)
    # /usr/local/cuda (the toolkit the system chose) wins a tie with its versioned folder.
    default = _nvcc(cuda / "cuda" / "bin" / "nvcc", "13.0")
    assert _bash("find_nvcc", env).stdout.strip() == str(default)
    # A newer toolkit on PATH is still the newest.
    _nvcc(bin_dir / "nvcc", "13.1")
    assert _bash("find_nvcc", env).stdout.strip() == str(bin_dir / "nvcc")


def test_build_estimate_names_the_architecture(tmp_path: Path, bin_dir: Path) -> None:
    env = _env(tmp_path, bin_dir)
    cuda = _bash("BACKEND=cuda CUDA_ARCHS=121; build_estimate", env).stdout
    assert re.fullmatch(r"building llama\.cpp with CUDA for sm_121: about \d+ minutes\n", cuda)
    cpu = _bash("BACKEND=cpu; build_estimate", env).stdout
    assert re.fullmatch(r"building llama\.cpp for the CPU: about \d+ minutes on \d+ cores\n", cpu)


# --- desktop files --------------------------------------------------------------------

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


def test_desktop_entry_is_valid() -> None:
    done = subprocess.run([_tool("desktop-file-validate"), str(ASSETS / "spark-desktop.desktop")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout


def test_metainfo_is_valid() -> None:
    path = ASSETS / f"{APP_ID}.metainfo.xml"
    done = subprocess.run([_tool("appstreamcli"), "validate", "--no-net", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_desktop_ids_agree_with_the_gui() -> None:
    """GNOME matches the window to the entry by Qt's desktop file name (Wayland app id)
    and by WM_CLASS (X11); the metainfo launches the same entry."""
    app_py = (ROOT / "spark_desktop" / "ui" / "app.py").read_text()
    gui_id = re.search(r'setDesktopFileName\("([^"]+)"\)', app_py)[1]
    entry = (ASSETS / f"{gui_id}.desktop").read_text()
    assert f"StartupWMClass={gui_id}\n" in entry
    assert f"Icon={gui_id}\n" in entry
    metainfo = (ASSETS / f"{APP_ID}.metainfo.xml").read_text()
    assert f"<id>{APP_ID}</id>" in metainfo
    assert f'<launchable type="desktop-id">{gui_id}.desktop</launchable>' in metainfo


def test_png_icons_have_the_size_their_folder_says() -> None:
    pngs = sorted((ASSETS / "icons" / "hicolor").glob("*/apps/spark-desktop.png"))
    assert len(pngs) >= 6
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert f"{width}x{height}" == png.parent.parent.name
    assert (ASSETS / "icons/hicolor/scalable/apps/spark-desktop.svg").exists()


# --- .deb -----------------------------------------------------------------------------

def test_deb_tree_and_control(tmp_path: Path) -> None:
    _tool("dpkg-deb")
    subprocess.run([str(BUILD_DEB), "--no-venv", "--cpu", "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    deb = tmp_path / f"spark-desktop_0.1.0_{arch}.deb"
    assert deb.exists()

    def field(name: str) -> str:
        return subprocess.run(["dpkg-deb", "--field", str(deb), name], capture_output=True,
                              text=True, check=True).stdout.strip()

    assert field("Package") == "spark-desktop"
    assert field("Architecture") == arch
    assert field("Depends").startswith("python3 (>= 3.11)")
    assert "fonts-noto-cjk" in field("Depends")  # Chinese text needs a CJK font
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                              text=True, check=True).stdout
    for path in ("./usr/bin/spark-desktop", "./usr/share/applications/spark-desktop.desktop",
                 f"./usr/share/metainfo/{APP_ID}.metainfo.xml",
                 "./usr/share/icons/hicolor/256x256/apps/spark-desktop.png",
                 "./usr/share/icons/hicolor/scalable/apps/spark-desktop.svg"):
        assert path in contents
    assert "root/root" in contents and "/home" not in contents
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    launcher = (unpacked / "usr/bin/spark-desktop").read_text()
    assert "exec /opt/spark-desktop/venv/bin/spark-desktop" in launcher
    entry = unpacked / "usr/share/applications/spark-desktop.desktop"
    assert "Exec=spark-desktop\n" in entry.read_text()


# --- a real install -------------------------------------------------------------------

def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _pip_env() -> dict[str, str]:
    """Keep this machine's pip cache and configuration when HOME moves to a tmp folder."""
    env = {}
    cache = subprocess.run(["python3", "-m", "pip", "cache", "dir"], capture_output=True,
                           text=True, check=False).stdout.strip()
    if cache:
        env["PIP_CACHE_DIR"] = cache
    config = Path.home() / ".config" / "pip" / "pip.conf"
    if config.exists() and "PIP_CONFIG_FILE" not in os.environ:
        env["PIP_CONFIG_FILE"] = str(config)
    return env


@pytest.mark.slow
def test_install_doctor_uninstall(tmp_path: Path) -> None:
    """install.sh into a tmp home; the installed doctor reports the backend this machine
    needs (CPU, or CUDA where a GPU is) with RPC and no PROBLEM; --uninstall leaves only
    user data. The llama-cpp-python wheel is the one the README's set-up command built,
    kept for this user in ~/.cache/spark-desktop/wheels: no second build."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SPARK_DESKTOP_", "HF_", "XDG_", "VIRTUAL_ENV"))}
    env.update(_pip_env())
    for tool, folder in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")):
        if (Path.home() / folder).is_dir():  # rust tools that pip may run keep their home
            env.setdefault(tool, str(Path.home() / folder))
    env.update({"HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
                "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: the Hub is offline
                "SPARK_DESKTOP_WHEEL_CACHE": os.environ.get(
                    "SPARK_DESKTOP_WHEEL_CACHE",
                    str(Path.home() / ".cache" / "spark-desktop" / "wheels"))})
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if "venv" not in p)
    before = _tree(home)

    key = _config(env)["key"]  # what this machine needs, by its own probe
    done = subprocess.run([str(INSTALL)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"llama.cpp build for this machine: {key}" in done.stdout
    launcher = home / ".local" / "bin" / "spark-desktop"
    assert launcher.exists()
    entry = (home / ".local/share/applications/spark-desktop.desktop").read_text().splitlines()
    assert f"Exec={launcher}" in entry and f"TryExec={launcher}" in entry
    assert (home / f".local/share/metainfo/{APP_ID}.metainfo.xml").exists()
    assert (home / ".local/share/icons/hicolor/256x256/apps/spark-desktop.png").exists()

    report = subprocess.run([str(launcher), "doctor", "--json"], env=env, capture_output=True,
                            text=True, check=False)
    result = json.loads(report.stdout)
    checks = {c["name"]: c for c in result["checks"]}
    assert result["ok"] is True, report.stdout
    assert report.returncode == 0
    assert checks["llama.cpp backend"]["status"] == "OK"
    backend = checks["llama.cpp backend"]["detail"]
    assert ("CPU backend" if key == "cpu+rpc" else "CUDA for") in backend
    assert checks["llama.cpp runs"]["status"] == "OK"
    assert checks["llama.cpp RPC"]["status"] == "OK"
    assert checks["Hugging Face Hub"]["status"] == "WARNING"
    assert "offline" in checks["Hugging Face Hub"]["detail"]
    assert all(c["status"] != "PROBLEM" for c in result["checks"])

    # Re-running upgrades in place and reuses the backend.
    again = subprocess.run([str(INSTALL)], env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert f"already built for {key}: kept" in again.stdout

    # User data written by the app must survive the uninstall.
    data = home / ".local" / "share" / "spark-desktop"
    (data / "history.sqlite3").write_text("conversations")
    models = home / ".cache" / "huggingface" / "hub"
    models.mkdir(parents=True, exist_ok=True)
    (models / "model.gguf").write_text("weights")

    gone = subprocess.run([str(INSTALL), "--uninstall"], env=env, capture_output=True,
                          text=True, check=False)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert (data / "history.sqlite3").exists() and (models / "model.gguf").exists()
    assert not (data / "venv").exists() and not launcher.exists()
    left = {home / p for p in _tree(home) - before}
    user_roots = (data, home / ".cache" / "huggingface")
    ancestors = {a for root in user_roots for a in root.parents}
    stray = [p for p in left
             if p not in ancestors and not any(p == r or r in p.parents for r in user_roots)]
    assert stray == [], stray
    assert not (data / "install-manifest.txt").exists()
