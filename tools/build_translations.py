"""Update the Qt Linguist sources of the GUI's translations and compile them.

    python tools/build_translations.py           # lupdate (new/changed texts) + lrelease
    python tools/build_translations.py --release  # lrelease only (after translating)
    python tools/build_translations.py --check    # exit 1 when a .qm is not the .ts's build

The sources are assets/translations/spark_desktop_<lang>.ts (edit them with
pyside6-linguist or any editor); the compiled .qm files go to spark_desktop/ui/translations/
and are committed, so an install from the repository or a wheel needs no Qt tools. The
tests run --check's comparison: a .qm that is not exactly what lrelease makes of its .ts
(a forgotten build, a hand-edited binary) fails them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TS_DIR = ROOT / "assets" / "translations"
QM_DIR = ROOT / "spark_desktop" / "ui" / "translations"
SOURCES = ROOT / "spark_desktop" / "ui"
LANGUAGES = ("zh_CN",)


def _tool(name: str) -> list[str]:
    """pyside6-<name> next to this interpreter, on PATH, or through PySide6's launcher."""
    beside = Path(sys.executable).with_name(f"pyside6-{name}")
    if beside.exists():
        return [str(beside)]
    found = shutil.which(f"pyside6-{name}")
    if found:
        return [found]
    return [sys.executable, "-m", "PySide6.scripts.pyside_tool", name]


def ts_path(language: str) -> Path:
    return TS_DIR / f"spark_desktop_{language}.ts"


def qm_path(language: str, folder: Path = QM_DIR) -> Path:
    return folder / f"spark_desktop_{language}.qm"


def update(language: str) -> None:
    """Add new texts of the GUI's sources to the .ts (translations kept, gone ones dropped).
    No line numbers are stored, so moving code does not change the file."""
    sources = sorted(str(p.relative_to(ROOT)) for p in SOURCES.rglob("*.py"))
    TS_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([*_tool("lupdate"), "-locations", "none", "-no-obsolete",
                    "-source-language", "en", "-target-language", language, *sources,
                    "-ts", str(ts_path(language))],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def release(language: str, folder: Path = QM_DIR) -> Path:
    """Compile the .ts of `language` into `folder`; returns the .qm's path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = qm_path(language, folder)
    subprocess.run([*_tool("lrelease"), "-silent", str(ts_path(language)), "-qm", str(out)],
                   check=True)
    return out


def stale(language: str) -> bool:
    """True when the committed .qm differs from a fresh build of its .ts."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = release(language, Path(tmp))
        committed = qm_path(language)
        return not committed.exists() or committed.read_bytes() != fresh.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--release", action="store_true", help="only compile the .ts files")
    group.add_argument("--check", action="store_true", help="fail if a .qm is out of date")
    args = parser.parse_args(argv)
    if args.check:
        old = [lang for lang in LANGUAGES if stale(lang)]
        for lang in old:
            print(f"{qm_path(lang)} is not the build of {ts_path(lang)}: run "
                  "python tools/build_translations.py --release", file=sys.stderr)
        return 1 if old else 0
    for lang in LANGUAGES:
        if not args.release:
            update(lang)
        print(release(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
