"""The command line skeleton: help, version, and the data/models folder overrides."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.cli import main


def test_help_lists_every_command_the_readme_documents(capsys) -> None:
    """`--help` names each command with its one-line help, the README's CLI table names the
    same commands, and each command's own --help works."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    listed = dict(re.findall(r"^    ([a-z][a-z-]+) {2,}(\S.*)$", out, re.MULTILINE))
    table = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    first_cells = re.findall(r"^\| (`.*?[^\\])\|", table, re.MULTILINE)  # `\|` is no border
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z][a-z-]+)", cell)}
    assert set(listed) == documented, (set(listed) ^ documented)
    assert all(len(text) > 10 for text in listed.values())
    for command in listed:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert f"spark-desktop {command}" in capsys.readouterr().out


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
