"""The app's own diagnosis: is this machine set up to run models well, and if not, what to do.

Each verdict is a pure function fed with facts (versions, nvidia-smi's GPUs, the
backend's build, free space...), so tests feed a GB10, an H100 or no GPU. The
facts are gathered by `run_checks()`; anything that loads native code (Qt,
llama.cpp) is asked in a subprocess so a broken install cannot crash the doctor.
`spark-desktop doctor` prints the list; Settings → About this machine shows it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from spark_desktop.engine.build_info import BuildInfo
from spark_desktop.engine.smoke import SmokeResult
from spark_desktop.errors import SparkError
from spark_desktop.hardware.probe import GPU
from spark_desktop.hardware.targets import Target

GIB = 1024 ** 3
INSTALLER = "installers/linux/install.sh"
HUB_TIMEOUT_S = 3.0


class Status(str, Enum):
    OK = "OK"
    WARNING = "WARNING"
    PROBLEM = "PROBLEM"


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis; `advice` says what to do when it is not OK."""

    name: str
    status: Status
    detail: str
    advice: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.value, "detail": self.detail,
                "advice": self.advice}


@dataclass(frozen=True)
class QtFacts:
    """What a subprocess saw when it imported PySide6, and what the X11 plugin lacks."""

    pyside_version: str | None   # None: PySide6 did not import
    qt_version: str | None
    error: str | None
    platform: str                # the platform plugin Qt will use: xcb, wayland, offscreen...
    missing_libs: tuple[str, ...]  # libraries the xcb plugin needs that are not installed


def all_ok(checks: list[Check]) -> bool:
    """True when nothing is a PROBLEM (warnings are worth reading, not blocking)."""
    return all(c.status is not Status.PROBLEM for c in checks)


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def check_python(version: tuple[int, int, int], executable: str) -> Check:
    text = f"Python {'.'.join(map(str, version))} ({executable})"
    if version < (3, 11):
        return Check("Python", Status.PROBLEM, text, "Spark Desktop needs Python 3.11 or newer.")
    return Check("Python", Status.OK, text)


def debian_package(soname: str) -> str:
    """The Debian package that usually ships a library: libxcb-cursor.so.0 → libxcb-cursor0."""
    match = re.fullmatch(r"(lib.+?)\.so\.(\d+).*", soname)
    if not match:
        return soname
    name, major = match.groups()
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def parse_ldd_missing(text: str) -> tuple[str, ...]:
    """Library names that `ldd` reports as "not found", each once, in order."""
    found = [line.split("=>")[0].strip() for line in text.splitlines() if "not found" in line]
    return tuple(dict.fromkeys(found))


def qt_platform(env: dict[str, str]) -> str:
    """The platform plugin Qt 6 will pick in this environment."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb" if env.get("DISPLAY") else "none"


def check_qt(facts: QtFacts) -> Check:
    if facts.pyside_version is None:
        return Check("Qt", Status.PROBLEM, f"PySide6 does not load: {facts.error}",
                     f"Re-run {INSTALLER} to repair the app's environment.")
    detail = f"PySide6 {facts.pyside_version} (Qt {facts.qt_version}), platform {facts.platform}"
    if facts.missing_libs:
        apt = "sudo apt install " + " ".join(sorted({debian_package(lib)
                                                      for lib in facts.missing_libs}))
        missing = ", ".join(facts.missing_libs)
        if facts.platform == "xcb":
            return Check("Qt", Status.PROBLEM,
                         f"{detail}; the X11 plugin cannot load, missing {missing}",
                         f"Install the missing libraries: {apt}")
        return Check("Qt", Status.WARNING,
                     f"{detail}; the X11 plugin would miss {missing}",
                     f"Needed only in an X11 session: {apt}")
    if facts.platform == "none":
        return Check("Qt", Status.WARNING, f"{detail}; no display found",
                     "The window needs a desktop session; the command line works without.")
    return Check("Qt", Status.OK, detail)


def _cc_arch(capability: str) -> str:
    """Compute capability "12.1" → CMake architecture "121"."""
    major, _, minor = capability.partition(".")
    return f"{int(major)}{int(minor or 0)}"


def check_backend(build: BuildInfo, gpus: tuple[GPU, ...]) -> Check:
    """Is llama.cpp built to use this machine's GPU (CUDA, and for its architecture)?"""
    name = "llama.cpp backend"
    if build.version is None:
        return Check(name, Status.PROBLEM, f"llama-cpp-python does not load: {build.error}",
                     f"Run {INSTALLER}: it builds llama-cpp-python for this machine.")
    head = f"llama-cpp-python {build.version}"
    if not gpus:
        if build.cuda:
            return Check(name, Status.WARNING,
                         f"{head}, CUDA build, but no NVIDIA GPU answers; models run on the CPU",
                         "Check the driver with `nvidia-smi`.")
        return Check(name, Status.OK, f"{head}, CPU backend (no NVIDIA GPU on this machine)")
    if not build.cuda:
        return Check(name, Status.PROBLEM,
                     f"{head} is built without CUDA: the {gpus[0].name} is unused",
                     f"Rebuild with {INSTALLER} (it detects the GPU and builds with CUDA).")
    built = ", ".join(f"sm_{a}" for a in build.cuda_archs) or "unknown architectures"
    detail = f"{head}, CUDA for {built}"
    worst = Status.OK
    notes = []
    for gpu in gpus:
        if gpu.compute_capability is None:
            worst = max(worst, Status.WARNING, key=_rank)
            notes.append(f"the {gpu.name}'s compute capability is unknown")
            continue
        want = int(_cc_arch(gpu.compute_capability))
        archs = [int(a) for a in build.cuda_archs]
        if want in archs:
            continue
        if any(a <= want for a in archs):
            worst = max(worst, Status.WARNING, key=_rank)
            notes.append(f"not built for the {gpu.name} (sm_{want}); it runs on older "
                         "code, slower")
        else:
            worst = Status.PROBLEM
            notes.append(f"the {gpu.name} (sm_{want}) cannot run this build")
    if worst is Status.OK:
        return Check(name, Status.OK, detail)
    return Check(name, worst, f"{detail}; " + "; ".join(notes),
                 f"Rebuild with {INSTALLER} (it builds for this machine's GPU).")


def check_smoke(result: SmokeResult | None) -> Check:
    """Did the backend really run a model here (engine.smoke), not only report its flags?"""
    name = "llama.cpp runs"
    if result is None:
        return Check(name, Status.WARNING, "not checked: llama-cpp-python does not load",
                     f"Run {INSTALLER}.")
    if not result.ok:
        return Check(name, Status.PROBLEM, f"a test model did not run: {result.detail}",
                     f"Rebuild llama.cpp for this machine: run {INSTALLER}, or see "
                     "'Rebuild llama.cpp' in the README.")
    if result.notes:
        return Check(name, Status.WARNING, f"{result.detail}; {' '.join(result.notes)}",
                     f"For full CPU speed, rebuild llama.cpp for this machine ({INSTALLER}).")
    return Check(name, Status.OK, result.detail)


def _rank(status: Status) -> int:
    return [Status.OK, Status.WARNING, Status.PROBLEM].index(status)


def check_rpc(build: BuildInfo) -> Check:
    name = "llama.cpp RPC"
    if build.version is None:
        return Check(name, Status.WARNING, "unknown: llama-cpp-python does not load",
                     f"Run {INSTALLER}.")
    if build.rpc:
        return Check(name, Status.OK, "RPC backend built in (a model can span two machines)")
    return Check(name, Status.WARNING,
                 "built without the RPC backend: a model cannot span two Sparks",
                 f"Re-run {INSTALLER} (it builds with -DGGML_RPC=on).")


def check_gpu(gpus: tuple[GPU, ...], nvidia_device: bool) -> Check:
    """The GPUs and driver as NVML / nvidia-smi report them."""
    if not gpus:
        if nvidia_device:
            return Check("GPU", Status.WARNING,
                         "an NVIDIA device is present but the driver does not answer",
                         "Run `nvidia-smi`; if it fails, reinstall or reload the NVIDIA driver.")
        return Check("GPU", Status.OK, "no NVIDIA GPU: models run on the CPU")
    parts = []
    for gpu in gpus:
        memory = ("unified memory" if gpu.unified_memory
                  else f"{_gib(gpu.memory_total or 0)}")
        parts.append(f"{gpu.name} (compute capability {gpu.compute_capability or '?'}, "
                     f"{memory})")
    driver = gpus[0].driver_version
    detail = "; ".join(parts) + (f", driver {driver}" if driver else "")
    if any(g.compute_capability is None for g in gpus):
        return Check("GPU", Status.WARNING, detail,
                     "Update the NVIDIA driver so it reports the compute capability.")
    return Check("GPU", Status.OK, detail)


def check_memory_pool(target: Target) -> Check:
    """The pool(s) the fit estimate compares models with."""
    pools = "; ".join(f"{p.name} ({p.kind}): {_gib(p.bytes)}" for p in target.pools)
    detail = f"target {target.name!r}: {pools}"
    if target.total_bytes < 2 * GIB:
        return Check("Memory pool", Status.PROBLEM, detail,
                     "Less than 2 GiB is free: close other programs before loading a model.")
    if target.total_bytes < 8 * GIB:
        return Check("Memory pool", Status.WARNING, detail,
                     "Only small models fit; close other programs to free memory.")
    return Check("Memory pool", Status.OK, detail)


def check_folder(label: str, path: Path, free: int | None, writable: bool,
                 low: int, too_low: int) -> Check:
    """A folder we write to: it must be writable and have room (`low` warns, `too_low` fails)."""
    if free is None or not writable:
        return Check(label, Status.PROBLEM, f"{path} is not writable",
                     f"Fix its permissions or choose another folder ({label.lower()} option).")
    detail = f"{path}, {_gib(free)} free"
    if free < too_low:
        return Check(label, Status.PROBLEM, detail, "Free some disk space.")
    if free < low:
        return Check(label, Status.WARNING, detail, "Disk space is low: free some space.")
    return Check(label, Status.OK, detail)


def check_hub(endpoint: str, offline_mode: bool, error: str | None,
              contacted: bool = True) -> Check:
    """`error` is None when the endpoint answered (any HTTP status counts as reachable);
    `contacted` False when the caller chose not to reach the network."""
    if offline_mode:
        return Check("Hugging Face Hub", Status.OK,
                     f"offline mode: {endpoint} is not contacted; local models work")
    if not contacted:
        return Check("Hugging Face Hub", Status.OK,
                     f"{endpoint} not contacted; press Check again to test the connection")
    if error is None:
        return Check("Hugging Face Hub", Status.OK, f"{endpoint} reachable")
    return Check("Hugging Face Hub", Status.WARNING,
                 f"offline: {endpoint} cannot be reached ({error})",
                 "Search and downloads need the network (check the connection or "
                 "HTTPS_PROXY); models already here still run.")


# --- gathering facts --------------------------------------------------------------

# Run in a child process: the core itself never imports Qt.
_QT_PROBE = r"""
import importlib, json
PySide6 = importlib.import_module("PySide6")
QtCore = importlib.import_module("PySide6.QtCore")
info = QtCore.QLibraryInfo
print(json.dumps({"pyside": PySide6.__version__, "qt": QtCore.qVersion(),
                  "plugins": info.path(info.LibraryPath.PluginsPath)}))
"""


def check_cjk_font(fonts: tuple[str, ...] | None) -> Check:
    """Chinese (and Japanese, Korean) text needs a font that has its characters; without
    one Qt draws empty boxes. `fonts` is what fontconfig lists for Chinese (None: no
    fc-list to ask)."""
    name = "CJK font"
    if fonts is None:
        return Check(name, Status.WARNING, "fc-list is missing, so the fonts were not checked",
                     "Install fontconfig and a CJK font: sudo apt install fontconfig "
                     "fonts-noto-cjk")
    if not fonts:
        return Check(name, Status.WARNING, "no font for Chinese, Japanese or Korean text is "
                     "installed; such text shows as empty boxes",
                     "sudo apt install fonts-noto-cjk")
    return Check(name, Status.OK, f"{fonts[0]}" + (f" and {len(fonts) - 1} more"
                                                  if len(fonts) > 1 else ""))


def cjk_fonts() -> tuple[str, ...] | None:
    """Font families fontconfig offers for Chinese, or None when fc-list is not there."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return tuple(sorted({line.split(",")[0].strip() for line in out.splitlines()
                         if line.strip()}))


def qt_facts(env: dict[str, str] | None = None) -> QtFacts:
    """Import PySide6 in a subprocess (a broken Qt cannot crash us) and ldd its X11 plugin."""
    env = dict(os.environ if env is None else env)
    platform = qt_platform(env)
    try:
        done = subprocess.run([sys.executable, "-c", _QT_PROBE], capture_output=True,
                              text=True, timeout=60, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return QtFacts(None, None, f"the check did not run: {exc}", platform, ())
    try:
        raw = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return QtFacts(None, None, tail, platform, ())
    missing: tuple[str, ...] = ()
    xcb = Path(raw["plugins"]) / "platforms" / "libqxcb.so"
    ldd = shutil.which("ldd")
    if xcb.exists() and ldd:
        out = subprocess.run([ldd, str(xcb)], capture_output=True, text=True, timeout=30,
                             check=False)
        missing = parse_ldd_missing(out.stdout)
    return QtFacts(raw["pyside"], raw["qt"], None, platform, missing)


def _folder_facts(path: Path) -> tuple[int | None, bool]:
    try:
        return shutil.disk_usage(path).free, os.access(path, os.W_OK | os.X_OK)
    except OSError:
        return None, False


def run_checks(reach_hub: bool = True, run_model: bool = True) -> list[Check]:
    """Gather the facts of this machine and judge them (takes a few seconds). With
    `reach_hub` False nothing goes over the network, and with `run_model` False no engine
    worker starts for the smoke check (the GUI's automatic run when Settings opens)."""
    from spark_desktop import paths, settings
    from spark_desktop.engine import build_info
    from spark_desktop.engine.smoke import run_smoke
    from spark_desktop.hardware.probe import probe
    from spark_desktop.hardware.targets import resolve_target
    from spark_desktop.hub import session

    machine = probe()
    build = build_info.probe()
    checks = [
        check_python((sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
                     sys.executable),
        check_qt(qt_facts()),
        check_backend(build, machine.gpus),
        *([check_smoke(run_smoke() if build.version is not None else None)]
          if run_model else []),
        check_rpc(build),
        check_gpu(machine.gpus, os.path.exists("/dev/nvidiactl")),
        check_cjk_font(cjk_fonts()),
    ]
    try:
        checks.append(check_memory_pool(resolve_target(settings.load().target, machine)))
    except SparkError as exc:
        checks.append(Check("Memory pool", Status.WARNING, str(exc),
                            "Choose a target in Settings (this, spark, spark2 or a size)."))
    data = paths.data_dir()
    checks.append(check_folder("Data folder", data, *_folder_facts(data),
                               low=GIB, too_low=100 * 1024 * 1024))
    models = paths.models_dir()
    checks.append(check_folder("Models folder", models, *_folder_facts(models),
                               low=20 * GIB, too_low=GIB))
    endpoint = session.endpoint()
    offline = session.is_offline()
    reach = reach_hub and not offline
    checks.append(check_hub(endpoint, offline,
                            session.unreachable_reason(HUB_TIMEOUT_S) if reach else None,
                            contacted=reach_hub))
    return checks
