"""PySide6 user interface: the only package that imports Qt."""

from spark_desktop.ui.none_guard import make_singletons_immortal

make_singletons_immortal()
