#!/usr/bin/env bash
# Build a .deb of Spark Desktop for this machine's architecture (arm64 on a DGX Spark).
#
#   installers/deb/build-deb.sh [--out DIR] [--cpu] [--no-venv]
#
# The package holds the app in /opt/spark-desktop/venv (a virtual environment built
# now, with llama-cpp-python built as installers/linux/install.sh would build it on
# this machine: CUDA for this GPU, or CPU; RPC always), the launcher /usr/bin/spark-desktop,
# and the desktop entry, icons and AppStream metainfo under /usr/share. llama.cpp is
# compiled for this machine's CPU and GPU: build on the kind of machine it is for
# (on a Spark, for Sparks). Install it with: sudo apt install ./spark-desktop_*.deb
#
# --no-venv leaves the virtual environment out (a quick build of everything else,
# used by the tests); such a package does not run. PYTHON picks the interpreter the
# venv is made with (default /usr/bin/python3, the one the package depends on).

set -euo pipefail

DEB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../linux/install.sh
source "$DEB_DIR/../linux/install.sh"

OPT=/opt/$APP

deb_version() {
  sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO_ROOT/pyproject.toml" | head -n 1
}

# Debian's python3.X package for the interpreter $1 ("python3.11").
python_package() {
  "$1" -c 'import sys; print(f"python3.{sys.version_info[1]}")'
}

# Make the venv built under $1 (the staging root) work from $OPT/venv once installed.
relocate_venv() {
  local stage=$1 file
  local from="$stage$OPT/venv" to="$OPT/venv"
  while IFS= read -r -d '' file; do
    if grep -Iq . "$file" && grep -q "$from" "$file"; then
      sed -i "s|$from|$to|g" "$file"
    fi
  done < <(find "$from/bin" -maxdepth 1 -type f -print0)
  sed -i "s|$from|$to|g" "$from/pyvenv.cfg"
}

write_control() {
  local stage=$1 version=$2 arch=$3 depends=$4 size
  size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  mkdir -p "$stage/DEBIAN"
  sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" \
    -e "s|@SIZE@|$size|" -e "s|@BACKEND@|$BUILD_KEY|" \
    "$DEB_DIR/control.in" >"$stage/DEBIAN/control"
}

build_deb() {
  local out=$PWD force="" venv=1 python=${PYTHON:-/usr/bin/python3}
  while [[ $# -gt 0 ]]; do
    case $1 in
      --out) [[ $# -ge 2 ]] || die "--out needs a folder"; out=$2; shift 2 ;;
      --cpu) force=cpu; shift ;;
      --no-venv) venv=""; shift ;;
      -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
  done
  command -v dpkg-deb >/dev/null || die "dpkg-deb is missing: sudo apt install dpkg"
  local arch version stage deb depends
  arch=$(dpkg --print-architecture)
  version=$(deb_version)
  [[ -n $version ]] || die "no version in $REPO_ROOT/pyproject.toml"
  require_python "$python"
  build_config "$force"
  depends="python3 (>= 3.11), $(python_package "$python"), libgomp1, libegl1, libfontconfig1, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, fonts-noto-cjk"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  deb="$out/${APP}_${version}_${arch}.deb"
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  stage="$WORK/${APP}_${version}_${arch}"
  say "building $deb ($BUILD_KEY)"
  mkdir -p "$stage$OPT" "$stage/usr/bin" "$stage/usr/share/doc/$APP"
  if [[ -n $venv ]]; then
    say "creating the virtual environment (becomes $OPT/venv)"
    "$python" -m venv "$stage$OPT/venv"
    install_into_venv "$stage$OPT/venv" "${SPARK_DESKTOP_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/$APP/wheels}"
    relocate_venv "$stage"
  else
    note "--no-venv: the package leaves out $OPT/venv and will not run"
  fi
  printf '#!/bin/sh\n# Spark Desktop launcher\nexec %s/venv/bin/%s "$@"\n' "$OPT" "$APP" \
    >"$stage/usr/bin/$APP"
  chmod 755 "$stage/usr/bin/$APP"
  install_desktop_files "$stage/usr/share" "$APP" >/dev/null
  cp "$DEB_DIR/copyright" "$stage/usr/share/doc/$APP/copyright"
  write_control "$stage" "$version" "$arch" "$depends"
  find "$stage" -type d -exec chmod 755 {} +
  say "packing (dpkg-deb)"
  dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
  say "done: $deb ($(du -h "$deb" | cut -f1))"
  note "install it with: sudo apt install $deb"
}

build_deb "$@"
