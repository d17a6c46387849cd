"""The command line skeleton: help, version, and the data/models folder overrides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from spark_desktop import paths
from spark_desktop.cli import main


def test_help_lists_commands(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "spark-desktop" in out


def test_data_and_models_dir_overrides(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(paths.DATA_ENV)
    monkeypatch.delenv(paths.MODELS_ENV)
    paths.configure(tmp_path / "d", tmp_path / "m")
    assert paths.data_dir() == (tmp_path / "d").resolve()
    assert paths.models_dir() == (tmp_path / "m").resolve()
    assert (paths.data_dir().stat().st_mode & 0o777) == 0o700


def test_entry_point_runs_as_module(tmp_path: Path) -> None:
    env = dict(os.environ, SPARK_DESKTOP_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "spark_desktop", "--version"],
                         capture_output=True, text=True, env=env, check=True)
    assert out.stdout.startswith("spark-desktop ")
