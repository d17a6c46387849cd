"""Settings: model folders, Hub login, default load and sampling settings, theme,
data folder, offline mode, privacy, and "About this machine" (the doctor's checks)."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.inference_settings import KV_TYPES
from spark_desktop.settings import Settings
from spark_desktop.ui import fitview, i18n
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.pages.cluster import ClusterBox
from spark_desktop.ui.pages.mcp_settings import McpSettingsBox
from spark_desktop.ui.pages.privacy import PrivacyBox
from spark_desktop.ui.services import Services
from spark_desktop.ui.theme import AMBER, GREEN, RED, THEMES

_STATUS_COLOURS = {"ok": GREEN, "warning": AMBER, "problem": RED}
#: The doctor's statuses and the theme choices in words (translated where shown).
STATUS_WORDS = {"ok": QT_TRANSLATE_NOOP("SettingsPage", "OK"),
                "warning": QT_TRANSLATE_NOOP("SettingsPage", "Warning"),
                "problem": QT_TRANSLATE_NOOP("SettingsPage", "Problem")}
#: The doctor's check names, translated where shown (their details stay in English:
#: the doctor writes them from its findings, for the terminal too).
CHECK_NAMES = (
    QT_TRANSLATE_NOOP("doctor", "Python"), QT_TRANSLATE_NOOP("doctor", "Qt"),
    QT_TRANSLATE_NOOP("doctor", "llama.cpp backend"),
    QT_TRANSLATE_NOOP("doctor", "llama.cpp runs"), QT_TRANSLATE_NOOP("doctor", "llama.cpp RPC"),
    QT_TRANSLATE_NOOP("doctor", "GPU"), QT_TRANSLATE_NOOP("doctor", "Memory pool"),
    QT_TRANSLATE_NOOP("doctor", "Data folder"), QT_TRANSLATE_NOOP("doctor", "Models folder"),
    QT_TRANSLATE_NOOP("doctor", "Hugging Face Hub"), QT_TRANSLATE_NOOP("doctor", "CJK font"),
)
THEME_NAMES = {"system": QT_TRANSLATE_NOOP("SettingsPage", "Same as the system"),
               "light": QT_TRANSLATE_NOOP("SettingsPage", "Light"),
               "dark": QT_TRANSLATE_NOOP("SettingsPage", "Dark")}


class SettingsPage(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._filling = False
        scroll = QScrollArea(widgetResizable=True)
        body = QWidget()
        column = QVBoxLayout(body)
        title = QLabel(self.tr("Settings"))
        title.setProperty("role", "title")
        column.addWidget(title)
        column.addWidget(self._folders_box())
        column.addWidget(self._hub_box())
        column.addWidget(self._load_box())
        column.addWidget(self._sampling_box())
        self.cluster = ClusterBox(services)
        column.addWidget(self.cluster)
        column.addWidget(self._look_box())
        self.privacy = PrivacyBox(services.history)
        column.addWidget(self.privacy)
        self.mcp_box = McpSettingsBox(services)
        column.addWidget(self.mcp_box)
        column.addWidget(self._about_box())
        column.addStretch(1)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._fill(services.settings)
        services.settings_changed.connect(self._fill)

    # -- sections -------------------------------------------------------------------
    def _folders_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Model folders"))
        layout = QVBoxLayout(box)
        self.models_dir_label = QLabel(self.tr("Downloads go to: {folder}").format(
            folder=paths.models_dir()))
        self.models_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.models_dir_label)
        layout.addWidget(QLabel(self.tr("Extra folders searched for GGUF models:")))
        self.extra_dirs = QListWidget()
        self.extra_dirs.setMaximumHeight(110)
        layout.addWidget(self.extra_dirs)
        row = QHBoxLayout()
        self.add_dir_button = QPushButton(self.tr("Add folder…"))
        self.remove_dir_button = QPushButton(self.tr("Remove"))
        self.add_dir_button.clicked.connect(self._choose_dir)
        self.remove_dir_button.clicked.connect(self._remove_dir)
        row.addWidget(self.add_dir_button)
        row.addWidget(self.remove_dir_button)
        row.addStretch(1)
        layout.addLayout(row)
        data = QLabel(self.tr("Data folder (settings, chats, logs): {folder}").format(
            folder=paths.data_dir()))
        data.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(data)
        return box

    def _hub_box(self) -> QGroupBox:
        box = QGroupBox("Hugging Face")  # a name
        layout = QVBoxLayout(box)
        self.login_label = QLabel(self.tr("Checking the Hugging Face login…"))
        self.login_label.setWordWrap(True)
        layout.addWidget(self.login_label)
        self.offline = QCheckBox(
            self.tr("Offline mode (never contact the Hub; models and chats still work)"))
        self.offline.toggled.connect(self._changed)
        layout.addWidget(self.offline)
        return box

    def _load_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Default load settings"))
        form = QFormLayout(box)
        self.n_ctx = QSpinBox(minimum=256, maximum=1 << 20, singleStep=1024)
        self.kv_type = QComboBox()
        self.kv_type.addItems(KV_TYPES)
        self.gpu_layers = QSpinBox(minimum=-1, maximum=999, specialValueText=self.tr("all"))
        self.flash_attn = QCheckBox(self.tr("Flash attention"))
        form.addRow(self.tr("Context length (tokens)"), self.n_ctx)
        form.addRow(self.tr("KV cache type"), self.kv_type)
        form.addRow(self.tr("GPU layers"), self.gpu_layers)
        form.addRow("", self.flash_attn)
        for w in (self.n_ctx, self.gpu_layers, self.kv_type):
            w.setMaximumWidth(220)
        for w in (self.n_ctx, self.gpu_layers):
            w.valueChanged.connect(self._changed)
        self.kv_type.currentIndexChanged.connect(self._changed)
        self.flash_attn.toggled.connect(self._changed)
        return box

    def _sampling_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Default sampling"))
        form = QFormLayout(box)
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=2.0, singleStep=0.05, decimals=2)
        self.top_p = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.01, decimals=2)
        self.top_k = QSpinBox(minimum=0, maximum=1000)
        self.min_p = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.01, decimals=2)
        self.repeat_penalty = QDoubleSpinBox(minimum=0.5, maximum=2.0, singleStep=0.05,
                                             decimals=2)
        self.max_tokens = QSpinBox(minimum=0, maximum=1 << 20, singleStep=256,
                                   specialValueText=self.tr("until the model stops"))
        for label, w in ((self.tr("Temperature"), self.temperature), ("Top p", self.top_p),
                         ("Top k", self.top_k), ("Min p", self.min_p),
                         (self.tr("Repeat penalty"), self.repeat_penalty),
                         (self.tr("Max tokens per reply"), self.max_tokens)):
            w.setMaximumWidth(220)
            form.addRow(label, w)
            w.valueChanged.connect(self._changed)
        return box

    def _look_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Appearance and language"))
        form = QFormLayout(box)
        self.theme = QComboBox()
        self.theme.addItems([self.tr(THEME_NAMES[t]) for t in THEMES])
        self.language = QComboBox()
        for value, label in i18n.language_choices():
            self.language.addItem(label, value)
        self.language.setAccessibleName(self.tr("Language"))
        for combo in (self.theme, self.language):
            combo.setMaximumWidth(220)
            combo.currentIndexChanged.connect(self._changed)
        form.addRow(self.tr("Theme"), self.theme)
        form.addRow(self.tr("Language"), self.language)
        return box

    def _about_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("About this machine"))
        layout = QVBoxLayout(box)
        self.checks = QTreeWidget()
        self.checks.setHeaderLabels([self.tr("Check"), self.tr("Status"), self.tr("Detail")])
        self.checks.setRootIsDecorated(False)
        self.checks.setMinimumHeight(220)
        layout.addWidget(self.checks)
        row = QHBoxLayout()
        self.run_checks_button = QPushButton(self.tr("Check again"))
        self.run_checks_button.clicked.connect(lambda: self.run_checks(full=True))
        self.checks_status = QLabel("")
        row.addWidget(self.run_checks_button)
        row.addWidget(self.checks_status, 1)
        layout.addLayout(row)
        return box

    # -- behaviour ------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        run_async(_login_text, self.login_label.setText, parent=self)
        if self.checks.topLevelItemCount() == 0 and self.run_checks_button.isEnabled():
            self.run_checks(full=False)  # opening Settings contacts no one, starts no worker

    def run_checks(self, full: bool = True) -> None:
        """Run the doctor's checks off the GUI thread (some read files). Only a `full` run,
        when the user presses Check again, contacts the Hub and runs llama.cpp's smoke test."""
        self.run_checks_button.setEnabled(False)
        self.checks_status.setText(self.tr("Checking…"))
        run_async(lambda: _doctor_checks(full), self._show_checks, self._checks_failed,
                  parent=self)

    def _show_checks(self, checks: Any) -> None:
        self.checks.clear()
        for check in checks:
            raw = getattr(check, "status", "")
            status = str(getattr(raw, "value", raw)).lower()  # doctor.Status("OK") → "ok"
            detail = getattr(check, "detail", "") or ""
            advice = getattr(check, "advice", None) or getattr(check, "fix", None)
            name = getattr(check, "name", str(check))
            item = QTreeWidgetItem([QCoreApplication.translate("doctor", name),
                                    self.tr(STATUS_WORDS[status]) if status in STATUS_WORDS
                                    else status.upper() or "—", detail])
            if advice:
                item.setToolTip(2, str(advice))
                item.setText(2, f"{detail} — {advice}" if detail else str(advice))
            colour = _STATUS_COLOURS.get(status)
            if colour:
                item.setForeground(1, _brush(colour))
            self.checks.addTopLevelItem(item)
        for col in range(2):
            self.checks.resizeColumnToContents(col)
        self.checks_status.setText("")
        self.run_checks_button.setEnabled(True)

    def _checks_failed(self, exc: BaseException) -> None:
        self.checks_status.setText(error_text(exc))
        self.run_checks_button.setEnabled(True)

    def _choose_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder with GGUF models"))
        if folder:
            self.add_model_dir(folder)

    def add_model_dir(self, folder: str) -> None:
        dirs = self.services.settings.extra_model_dirs
        if folder not in dirs:
            self.services.update_settings(
                dataclasses.replace(self.services.settings, extra_model_dirs=dirs + (folder,)))

    def _remove_dir(self) -> None:
        item = self.extra_dirs.currentItem()
        if item is None:
            return
        dirs = tuple(d for d in self.services.settings.extra_model_dirs if d != item.text())
        self.services.update_settings(
            dataclasses.replace(self.services.settings, extra_model_dirs=dirs))

    def _fill(self, s: Settings) -> None:
        """Show `s` in the widgets without treating it as an edit."""
        self._filling = True
        try:
            self.extra_dirs.clear()
            self.extra_dirs.addItems(list(s.extra_model_dirs))
            self.offline.setChecked(s.offline)
            self.n_ctx.setValue(s.load.n_ctx)
            self.kv_type.setCurrentText(s.load.type_v)
            self.gpu_layers.setValue(s.load.n_gpu_layers)
            self.flash_attn.setChecked(s.load.uses_flash_attn)
            self.temperature.setValue(s.sampling.temperature)
            self.top_p.setValue(s.sampling.top_p)
            self.top_k.setValue(s.sampling.top_k)
            self.min_p.setValue(s.sampling.min_p)
            self.repeat_penalty.setValue(s.sampling.repeat_penalty)
            self.max_tokens.setValue(s.sampling.max_tokens or 0)
            self.theme.setCurrentIndex(THEMES.index(s.theme) if s.theme in THEMES else 0)
            self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        finally:
            self._filling = False

    def _changed(self, *_: object) -> None:
        if self._filling:
            return
        current = self.services.settings
        new = dataclasses.replace(
            current,
            offline=self.offline.isChecked(),
            theme=THEMES[self.theme.currentIndex()],
            language=self.language.currentData(),
            load=fitview.with_choices(current.load, n_ctx=self.n_ctx.value(),
                                      kv_type=self.kv_type.currentText(),
                                      n_gpu_layers=self.gpu_layers.value(),
                                      flash_attn=self.flash_attn.isChecked()),
            sampling=dataclasses.replace(
                current.sampling,
                temperature=self.temperature.value(), top_p=self.top_p.value(),
                top_k=self.top_k.value(), min_p=self.min_p.value(),
                repeat_penalty=self.repeat_penalty.value(),
                max_tokens=self.max_tokens.value() or None))
        if new != current:
            self.services.update_settings(new)


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))


def _login_text() -> str:
    from spark_desktop.hub.card import logged_in

    if logged_in():
        return QCoreApplication.translate(
            "SettingsPage", "Logged in to Hugging Face: gated models you accepted can be "
            "downloaded.")
    return QCoreApplication.translate(
        "SettingsPage", "Not logged in to Hugging Face. Public models download without it; "
        "for gated models, accept the licence on the Hub and run `hf auth login` in a "
        "terminal.")


def _doctor_checks(full: bool) -> Any:
    from spark_desktop import doctor

    return doctor.run_checks(reach_hub=full, run_model=full)
