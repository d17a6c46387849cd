#!/usr/bin/env bash
# Install Spark Desktop for the current user, from the checkout this script sits in.
#
#   installers/linux/install.sh                 install or upgrade in ~/.local
#   installers/linux/install.sh --prefix DIR    install under DIR instead
#   installers/linux/install.sh --uninstall     remove what it installed (never your
#                                               conversations, settings or models)
#   installers/linux/install.sh --print-build-config   show how llama.cpp would be built
#   installers/linux/install.sh --backend-into VENV    only put the llama.cpp backend built
#                                               for this machine into VENV (the README's
#                                               set-up commands; reuses the wheel cache)
#
# The app goes into its own virtual environment (<prefix>/share/spark-desktop/venv),
# with llama-cpp-python built for this machine: CUDA for the GPU's own architecture
# when an NVIDIA GPU and the CUDA toolkit are present (a DGX Spark's GB10 is sm_121),
# the CPU otherwise; the llama.cpp RPC backend always. The CPU code is built for a
# portable instruction set (GGML_NATIVE=OFF: x86-64-v3 — AVX2, FMA, F16C — or ARMv8.2 with
# dot products), never -march=native: a native build can pick instructions the OS or a
# hypervisor has not enabled (AMX in some sandboxes: SIGILL at the first token), and it
# breaks when the environment moves to another CPU. A launcher, a desktop entry,
# icons and AppStream metainfo make it appear in the desktop's application list.
#
# Environment: PYTHON (interpreter, default python3), SPARK_DESKTOP_WHEEL_CACHE
# (where built llama-cpp-python wheels are kept, default ~/.cache/spark-desktop/wheels),
# SPARK_DESKTOP_CUDA_PREFIX (where cuda-* toolkits live, default /usr/local).
# This file is also sourced by installers/deb/build-deb.sh for its functions.

set -euo pipefail

INSTALLER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INSTALLER_DIR/../.." && pwd)
APP=spark-desktop
APP_ID=io.github.sparkdesktop.SparkDesktop
RPC_ARG="-DGGML_RPC=on"

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# --- how llama.cpp is built for this machine ------------------------------------------

# "12.1" → "121": CMake's spelling of a compute capability.
cc_to_arch() {
  local cc=$1
  [[ $cc =~ ^([0-9]+)\.([0-9]+)$ ]] || return 1
  printf '%s%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

# The CUDA architectures of this machine's NVIDIA GPUs, ";"-joined (empty: no GPU).
detect_cuda_archs() {
  local smi out line arch archs=()
  smi=$(command -v nvidia-smi) || return 0
  out=$("$smi" --query-gpu=compute_cap --format=csv,noheader 2>/dev/null) || return 0
  while IFS= read -r line; do
    line=${line//[[:space:]]/}
    arch=$(cc_to_arch "$line") || continue
    [[ " ${archs[*]-} " == *" $arch "* ]] || archs+=("$arch")
  done <<<"$out"
  local IFS=';'
  printf '%s\n' "${archs[*]-}"
}

# "12.9" from `nvcc --version` ("Cuda compilation tools, release 12.9, V12.9.86").
nvcc_release() {
  "$1" --version 2>/dev/null | sed -n 's/.*release \([0-9][0-9.]*\),.*/\1/p' | head -n 1
}

# The newest nvcc: CUDA's own (/usr/local/cuda, /usr/local/cuda-*) before one on PATH;
# on a tie the earlier candidate wins. Prints nothing when there is none.
find_nvcc() {
  local prefix=${SPARK_DESKTOP_CUDA_PREFIX:-/usr/local}
  local candidates=("$prefix/cuda/bin/nvcc") dir best="" best_version="" version path
  while IFS= read -r dir; do
    [[ -n $dir ]] && candidates+=("$dir/bin/nvcc")
  done < <(compgen -G "$prefix/cuda-*" | sort -V -r)
  path=$(command -v nvcc || true)
  [[ -n $path ]] && candidates+=("$path")
  for path in "${candidates[@]}"; do
    [[ -x $path ]] || continue
    version=$(nvcc_release "$path")
    [[ -n $version ]] || continue
    if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best_version" "$version" | sort -V | tail -n 1) != "$best_version" ]]; then
      best=$path best_version=$version
    fi
  done
  [[ -n $best ]] && printf '%s\n' "$best"
  return 0
}

# The CPU instruction set llama.cpp is built for: portable, not this machine's (see above).
portable_cpu_args() {
  case $(uname -m) in
    aarch64|arm64) printf '%s\n' "-DGGML_NATIVE=OFF -DGGML_CPU_ARM_ARCH=armv8.2-a+dotprod+fp16" ;;
    *) printf '%s\n' "-DGGML_NATIVE=OFF" ;;  # x86-64: ggml then enables AVX, AVX2, FMA, F16C, BMI2
  esac
}

# Sets BACKEND, CUDA_ARCHS, NVCC, CMAKE_ARGS_WANTED and BUILD_KEY (the requirement that
# spark_desktop/engine/build_info.py checks: "cuda:121+rpc" or "cpu+rpc").
# $1 = "cpu" forces a CPU build.
build_config() {
  CUDA_ARCHS="" NVCC=""
  if [[ ${1:-} != cpu ]]; then
    CUDA_ARCHS=$(detect_cuda_archs)
    [[ -n $CUDA_ARCHS ]] && NVCC=$(find_nvcc)
  fi
  if [[ -n $CUDA_ARCHS && -z $NVCC ]]; then
    die "an NVIDIA GPU is present but no CUDA compiler (nvcc) was found: install the CUDA
toolkit (DGX OS: sudo apt install cuda-toolkit) and run this again, or pass --cpu to
build without GPU acceleration (much slower)."
  fi
  if [[ -n $CUDA_ARCHS ]]; then
    BACKEND=cuda
    CMAKE_ARGS_WANTED="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS $RPC_ARG $(portable_cpu_args)"
    BUILD_KEY="cuda:${CUDA_ARCHS//;/,}+rpc"
  else
    BACKEND=cpu
    CMAKE_ARGS_WANTED="$RPC_ARG $(portable_cpu_args)"
    BUILD_KEY="cpu+rpc"
  fi
}

# What building llama.cpp will cost on this machine, in words.
build_estimate() {
  local cores
  cores=$(nproc 2>/dev/null || echo 2)
  if [[ $BACKEND == cuda ]]; then
    local archs="sm_${CUDA_ARCHS//;/, sm_}"
    printf 'building llama.cpp with CUDA for %s: about %d minutes\n' \
      "$archs" $(( (200 + cores - 1) / cores > 5 ? (200 + cores - 1) / cores : 5 ))
  else
    printf 'building llama.cpp for the CPU: about %d minutes on %d cores\n' \
      $(( (34 + cores - 1) / cores )) "$cores"
  fi
}

print_build_config() {
  printf 'backend=%s\ncuda_archs=%s\nnvcc=%s\ncmake_args=%s\nkey=%s\n' \
    "$BACKEND" "$CUDA_ARCHS" "$NVCC" "$CMAKE_ARGS_WANTED" "$BUILD_KEY"
}

# --- the virtual environment ----------------------------------------------------------

require_python() {
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
    die "$1 is missing or older than Python 3.11 (DGX OS: sudo apt install python3)."
  "$1" -c 'import ensurepip, venv' 2>/dev/null ||
    die "$1 cannot create virtual environments: sudo apt install python3-venv"
  command -v c++ >/dev/null || command -v g++ >/dev/null ||
    note "no C++ compiler found: building llama.cpp needs one (sudo apt install build-essential)"
}

# Exit 0 when the venv's llama-cpp-python meets BUILD_KEY.
backend_ok() {
  "$1/bin/python" -I "$REPO_ROOT/spark_desktop/engine/build_info.py" --satisfies "$BUILD_KEY" \
    >/dev/null 2>&1
}

# The project's sources only (no caches or test models), so pip builds outside the checkout.
copy_sources() {
  local to=$1
  tar -C "$REPO_ROOT" --exclude='__pycache__' --exclude='*.pyc' -cf - \
    pyproject.toml README.md spark_desktop $(cd "$REPO_ROOT" && ls LICENSE* 2>/dev/null) |
    tar -C "$to" -xf -
}

# Where built llama-cpp-python wheels are kept for this user.
wheel_cache() {
  printf '%s\n' "${SPARK_DESKTOP_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/$APP/wheels}"
}

# The llama-cpp-python requirement, read from pyproject.toml (one place says which).
llama_requirement() {
  "$1" -c 'import re, sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
print(next(d for d in deps if re.match(r"llama-cpp-python\b", d)))' "$REPO_ROOT/pyproject.toml"
}

# Put a llama-cpp-python that meets BUILD_KEY into the venv at $1: kept if it already does,
# else a wheel built earlier with the same CMake arguments (cache folder $2), else built now
# once and kept there. pip's own wheel cache is not used: it ignores CMAKE_ARGS.
install_backend() {
  local venv=$1 wheels=$2 pip=("$1/bin/python" -m pip --disable-pip-version-check)
  local flags keydir wheel requirement
  flags=$(printf '%s' "$CMAKE_ARGS_WANTED" | sha256sum | cut -c1-10)
  keydir="$wheels/${BUILD_KEY//[:,+]/-}-$flags"
  if backend_ok "$venv"; then
    say "llama.cpp backend already built for $BUILD_KEY: kept"
    return 0
  fi
  wheel=$(compgen -G "$keydir/llama_cpp_python-*.whl" | sort -V | tail -n 1 || true)
  if [[ -z $wheel ]]; then
    requirement=$(llama_requirement "$venv/bin/python")
    say "building llama.cpp ($requirement) for $BUILD_KEY: $(build_estimate)"
    note "CMAKE_ARGS=$CMAKE_ARGS_WANTED"
    mkdir -p "$keydir"
    (
      export CMAKE_ARGS="$CMAKE_ARGS_WANTED"
      if [[ $BACKEND == cuda ]]; then
        export CUDACXX="$NVCC" PATH="$(dirname "$NVCC"):$PATH"
      fi
      "${pip[@]}" wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
        -w "$keydir" "$requirement"
    ) || die "building llama-cpp-python failed (see above)."
    wheel=$(compgen -G "$keydir/llama_cpp_python-*.whl" | sort -V | tail -n 1)
  else
    say "installing the llama.cpp backend built earlier for $BUILD_KEY ($(basename "$wheel"))"
  fi
  "${pip[@]}" install -q --no-deps --force-reinstall "$wheel"
  "${pip[@]}" install -q "$wheel"  # its own dependencies (numpy, jinja2, ...), from the index
  backend_ok "$venv" || die "the llama-cpp-python in $venv does not report $BUILD_KEY."
  say "llama.cpp backend: $("$venv/bin/python" -I "$REPO_ROOT/spark_desktop/engine/build_info.py")"
}

# Install the llama.cpp backend, then the app and its other dependencies, into the venv at $1.
install_into_venv() {
  local venv=$1 wheels=$2 src
  install_backend "$venv" "$wheels"
  say "installing Spark Desktop and its dependencies (pip)"
  src=$(mktemp -d)
  copy_sources "$src"
  "$venv/bin/python" -m pip --disable-pip-version-check install -q "$src" ||
    { rm -rf "$src"; die "pip could not install the app (see above)."; }
  rm -rf "$src"
}

# --- desktop integration --------------------------------------------------------------

# Copy the desktop entry, icons and metainfo under the share folder $1; the entry runs $2.
# Prints each installed path.
install_desktop_files() {
  local share=$1 exec_path=$2 icon size
  mkdir -p "$share/applications" "$share/metainfo"
  sed -e "s|^Exec=$APP|Exec=$exec_path|" -e "s|^TryExec=$APP|TryExec=$exec_path|" \
    "$REPO_ROOT/assets/$APP.desktop" >"$share/applications/$APP.desktop"
  printf '%s\n' "$share/applications/$APP.desktop"
  cp "$REPO_ROOT/assets/$APP_ID.metainfo.xml" "$share/metainfo/$APP_ID.metainfo.xml"
  printf '%s\n' "$share/metainfo/$APP_ID.metainfo.xml"
  for icon in "$REPO_ROOT"/assets/icons/hicolor/*/apps/$APP.*; do
    size=$(basename "$(dirname "$(dirname "$icon")")")
    mkdir -p "$share/icons/hicolor/$size/apps"
    cp "$icon" "$share/icons/hicolor/$size/apps/"
    printf '%s\n' "$share/icons/hicolor/$size/apps/$(basename "$icon")"
  done
}

# Refresh the desktop's caches, only where a cache already exists (a missing cache means
# the desktop scans the folders, and creating one would leave a file behind).
refresh_caches() {
  local share=$1
  if [[ -f $share/applications/mimeinfo.cache ]] && command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$share/applications" || true
  fi
  if [[ -f $share/icons/hicolor/icon-theme.cache ]] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t -f "$share/icons/hicolor" || true
  fi
}

# Remember something this run installed; the manifest is rewritten at once, merged with
# the previous run's (folders an earlier run created stay ours), so a failed run can
# still be uninstalled.
record() {
  ENTRIES+=("$*")
  [[ -d $HOME_DIR ]] || return 0
  printf '%s\n' "${ENTRIES[@]}" | awk '!seen[$0]++' >"$MANIFEST.new"
  mv -f "$MANIFEST.new" "$MANIFEST"
}

# mkdir -p that records each folder it creates.
make_dirs() {
  local dir d missing
  for dir in "$@"; do
    d=$dir missing=()
    while [[ ! -e $d ]]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
    for d in "${missing[@]}"; do mkdir "$d"; record dir "$d"; done
  done
}

# --- install / uninstall --------------------------------------------------------------

set_layout() {
  PREFIX=${1:-$HOME/.local}
  SHARE="$PREFIX/share"
  BIN="$PREFIX/bin"
  HOME_DIR="$SHARE/$APP"
  VENV="$HOME_DIR/venv"
  MANIFEST="$HOME_DIR/install-manifest.txt"
}

do_install() {
  local python=${PYTHON:-python3} wheels path
  wheels=$(wheel_cache)
  say "Spark Desktop: installing from $REPO_ROOT into $PREFIX"
  require_python "$python"
  say "llama.cpp build for this machine: $BUILD_KEY"
  if [[ $BACKEND == cuda ]]; then
    note "GPU architectures: sm_${CUDA_ARCHS//;/, sm_}; CUDA compiler: $NVCC ($(nvcc_release "$NVCC"))"
  else
    note "no NVIDIA GPU with a CUDA toolkit here: CPU backend"
  fi
  note "CMAKE_ARGS=$CMAKE_ARGS_WANTED"
  ENTRIES=()
  [[ -f $MANIFEST ]] && mapfile -t ENTRIES <"$MANIFEST"
  make_dirs "$HOME_DIR" "$BIN"
  # Our own build cache goes with the app; a folder named in SPARK_DESKTOP_WHEEL_CACHE is yours.
  if [[ -z ${SPARK_DESKTOP_WHEEL_CACHE:-} ]]; then make_dirs "$wheels"; record cache "$wheels"; fi
  if [[ ! -x $VENV/bin/python ]]; then
    say "creating the virtual environment $VENV"
    "$python" -m venv "$VENV"
  else
    say "upgrading the existing installation in $VENV"
  fi
  record venv "$VENV"
  install_into_venv "$VENV" "$wheels"

  say "installing the launcher $BIN/$APP"
  printf '#!/bin/sh\n# Spark Desktop launcher, installed by installers/linux/install.sh\nexec "%s" "$@"\n' \
    "$VENV/bin/$APP" >"$BIN/$APP"
  chmod 755 "$BIN/$APP"
  record file "$BIN/$APP"

  say "installing the desktop entry, icons and AppStream metainfo under $SHARE"
  local icon_dirs=()
  for path in "$REPO_ROOT"/assets/icons/hicolor/*/apps; do
    icon_dirs+=("$SHARE/icons/hicolor/$(basename "$(dirname "$path")")/apps")
  done
  make_dirs "$SHARE/applications" "$SHARE/metainfo" "${icon_dirs[@]}"
  while IFS= read -r path; do record file "$path"; done < <(install_desktop_files "$SHARE" "$BIN/$APP")
  refresh_caches "$SHARE"

  say "done. Start it from the application list or with: $APP"
  case ":$PATH:" in *":$BIN:"*) ;; *) note "$BIN is not on PATH: run $BIN/$APP, or add it to PATH";; esac
  say "checking the installation ($APP doctor)"
  "$VENV/bin/$APP" doctor || note "doctor found something to fix (see above)"
}

do_uninstall() {
  local kind path dirs=()
  if [[ ! -f $MANIFEST ]]; then
    say "nothing to remove: no installation manifest at $MANIFEST"
    return 0
  fi
  say "removing Spark Desktop from $PREFIX (conversations, settings and models are kept)"
  while read -r kind path; do
    case $kind in
      file) rm -f "$path" && note "removed $path" ;;
      venv) if [[ -f $path/pyvenv.cfg ]]; then rm -rf "$path" && note "removed $path"; fi ;;
      cache) rm -rf "$path" && note "removed the build cache $path" ;;
      dir) dirs+=("$path") ;;
    esac
  done <"$MANIFEST"
  rm -f "$MANIFEST"
  refresh_caches "$SHARE"
  # Folders we created, deepest first, only where nothing else lives now.
  while read -r path; do
    if rmdir "$path" 2>/dev/null; then note "removed empty folder $path"; fi
  done < <(printf '%s\n' "${dirs[@]-}" | awk 'NF { print length($0) "\t" $0 }' | sort -rn | cut -f2-)
  say "done"
}

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
  local prefix="" action=install force="" venv_arg=""
  while [[ $# -gt 0 ]]; do
    case $1 in
      --prefix) [[ $# -ge 2 ]] || die "--prefix needs a folder"; prefix=$2; shift 2 ;;
      --prefix=*) prefix=${1#--prefix=}; shift ;;
      --uninstall) action=uninstall; shift ;;
      --print-build-config) action=print; shift ;;
      --backend-into) [[ $# -ge 2 ]] || die "--backend-into needs a virtual environment"
        action=backend; venv_arg=$2; shift 2 ;;
      --cpu) force=cpu; shift ;;
      -h|--help) usage; return 0 ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
  done
  [[ -z $prefix ]] || prefix=$(realpath -m "$prefix")
  set_layout "$prefix"
  case $action in
    print) build_config "$force"; print_build_config ;;
    backend) build_config "$force"
      [[ -x $venv_arg/bin/python ]] || die "$venv_arg is not a virtual environment (python3 -m venv $venv_arg)"
      install_backend "$venv_arg" "$(wheel_cache)" ;;
    install) build_config "$force"; do_install ;;
    uninstall) do_uninstall ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
