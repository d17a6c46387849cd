"""PySide6 user interface: the only package that imports Qt."""

from spark_desktop.ui.feature_check import lighten_pyside_import_hook

lighten_pyside_import_hook()
