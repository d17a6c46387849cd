"""What the installed llama-cpp-python was built with: version, CUDA and its GPU
architectures, the RPC backend.

The most common failure of a local llama.cpp setup is a backend silently built
without CUDA or for the wrong GPU, so `doctor` and the installer ask here. The
probe runs in a subprocess: importing llama_cpp loads native code that can abort,
and the installer asks about a different virtual environment than its own.

Run as `python -m spark_desktop.engine.build_info [--json | --satisfies KEY]`;
KEY is what the installer requires, e.g. "cpu+rpc" or "cuda:121+rpc".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

# Runs inside the probed interpreter; prints one JSON object and nothing else.
_PROBE = r"""
import ctypes, json, os, sys
out = {"version": None, "backends": [], "system_info": "", "gpu_offload": False,
       "rpc": False, "libraries": [], "error": None}
try:
    import llama_cpp
    from llama_cpp import llama_cpp as ll
    out["version"] = getattr(llama_cpp, "__version__", None)
    lib_dir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    if os.path.isdir(lib_dir):
        out["libraries"] = sorted(os.listdir(lib_dir))
    out["gpu_offload"] = bool(ll.llama_supports_gpu_offload())
    out["rpc"] = bool(ll.llama_supports_rpc())
    out["system_info"] = ll.llama_print_system_info().decode("utf-8", "replace")
    try:
        from llama_cpp._ggml import libggml as g
        g.ggml_backend_reg_count.restype = ctypes.c_size_t
        g.ggml_backend_reg_get.argtypes = [ctypes.c_size_t]
        g.ggml_backend_reg_get.restype = ctypes.c_void_p
        g.ggml_backend_reg_name.argtypes = [ctypes.c_void_p]
        g.ggml_backend_reg_name.restype = ctypes.c_char_p
        out["backends"] = [g.ggml_backend_reg_name(g.ggml_backend_reg_get(i)).decode()
                           for i in range(g.ggml_backend_reg_count())]
    except (AttributeError, OSError):
        pass
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
sys.stdout.write(json.dumps(out))
"""


@dataclass(frozen=True)
class BuildInfo:
    """How llama-cpp-python was built, as its own library reports it."""

    version: str | None          # None: llama-cpp-python is missing or does not load
    cuda: bool
    cuda_archs: tuple[str, ...]  # CMake style, "121" for compute capability 12.1
    rpc: bool
    backends: tuple[str, ...]    # ggml backend registry names, e.g. ("CUDA", "RPC", "CPU")
    system_info: str
    libraries: tuple[str, ...]   # files in llama_cpp/lib
    error: str | None = None     # why the probe could not load it

    @property
    def key(self) -> str:
        """The build as the installer spells its requirement: "cpu+rpc", "cuda:121+rpc"."""
        base = f"cuda:{','.join(self.cuda_archs)}" if self.cuda else "cpu"
        return base + ("+rpc" if self.rpc else "")


def parse_cuda_archs(system_info: str) -> tuple[str, ...]:
    """CMake architectures from the "CUDA : ARCHS = 890,1210 | ..." part of the system info.

    nvcc's __CUDA_ARCH_LIST__ writes compute capability x100 (1210 for 12.1);
    CMake and the installer write it x10 (121).
    """
    for section in system_info.split("|"):
        name, _, value = section.partition("=")
        if name.strip().endswith("ARCHS"):
            archs = [a.strip() for a in value.split(",") if a.strip().isdigit()]
            return tuple(sorted({str(int(a) // 10) for a in archs}, key=int))
    return ()


def from_probe(raw: dict[str, object]) -> BuildInfo:
    """A BuildInfo from the JSON the probe script prints."""
    backends = tuple(str(b) for b in raw.get("backends") or ())
    libraries = tuple(str(name) for name in raw.get("libraries") or ())
    system_info = str(raw.get("system_info") or "")
    cuda = ("CUDA" in backends or "CUDA :" in system_info
            or any(name.startswith("libggml-cuda") for name in libraries))
    return BuildInfo(
        version=raw.get("version") if isinstance(raw.get("version"), str) else None,
        cuda=cuda,
        cuda_archs=parse_cuda_archs(system_info) if cuda else (),
        rpc=bool(raw.get("rpc")) or "RPC" in backends,
        backends=backends, system_info=system_info.strip(), libraries=libraries,
        error=str(raw["error"]) if raw.get("error") else None)


def probe(python: str = sys.executable, timeout: float = 120.0) -> BuildInfo:
    """Ask `python` (default: this interpreter) how its llama-cpp-python was built."""
    try:
        done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return from_probe({"error": f"the probe did not run: {exc}"})
    try:
        # llama.cpp may print log lines; the JSON object is the last line on stdout.
        raw = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return from_probe({"error": f"loading llama_cpp failed (exit {done.returncode}): {tail}"})
    return from_probe(raw)


def satisfies(info: BuildInfo, required: str) -> bool:
    """Whether the build meets a requirement key such as "cuda:121+rpc" or "cpu+rpc".

    A CUDA requirement is met by a build that includes at least those architectures;
    "cpu" is met only by a build without CUDA (a CUDA build on a machine without a
    GPU is the wrong build).
    """
    if info.version is None:
        return False
    base, _, extra = required.partition("+")
    if ("rpc" in extra.split("+")) != info.rpc:
        return False
    if base == "cpu":
        return not info.cuda
    kind, _, archs = base.partition(":")
    if kind != "cuda" or not info.cuda:
        return False
    wanted = {a for a in archs.replace(";", ",").split(",") if a}
    return wanted <= set(info.cuda_archs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter to ask")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print every field as JSON")
    group.add_argument("--satisfies", metavar="KEY",
                       help="exit 0 if the build meets KEY (e.g. cuda:121+rpc), else 1")
    args = parser.parse_args(argv)
    info = probe(args.python)
    if args.json:
        print(json.dumps(asdict(info) | {"key": info.key}, indent=2))
        return 0
    print(info.key if info.version else f"missing ({info.error})")
    if args.satisfies is not None:
        return 0 if satisfies(info, args.satisfies) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
