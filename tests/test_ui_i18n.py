"""Translation: no user-visible literal in ui/ bypasses Qt's translation, the zh_CN
translation is complete and its .qm is the build of its .ts, the language setting picks
the translation, and the real window in zh_CN shows Chinese on every page."""

from __future__ import annotations

import ast
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QWidget,
)

from spark_desktop import settings
from spark_desktop.ui import i18n
from spark_desktop.ui.app import create_window
from spark_desktop.ui.main_window import MainWindow
from spark_desktop.ui.recommended import RECOMMENDED

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "spark_desktop" / "ui"
sys.path.insert(0, str(ROOT / "tools"))
import build_translations

#: Calls whose string arguments a person reads.
TEXT_METHODS = {
    "setText", "setToolTip", "setPlaceholderText", "addItem", "addItems", "insertItem",
    "setWindowTitle", "setStatusTip", "setWhatsThis", "setAccessibleName",
    "setAccessibleDescription", "setFormat", "showMessage", "show_text", "show_markdown",
    "addRow", "addAction", "addMenu", "setTabText", "setTitle", "setLabelText",
    "setHeaderLabels", "addButton", "setInformativeText", "setDetailedText", "unknown",
    "question", "warning", "information", "critical", "getText", "getItem",
}
TEXT_CLASSES = {
    "QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction",
    "QMessageBox", "QToolButton", "QMenu", "ElidedLabel", "QListWidgetItem", "Column",
}
TEXT_KEYWORDS = {"text", "toolTip", "placeholderText", "windowTitle", "title", "statusTip"}
WORDS = re.compile(r"[A-Za-z]{2,}")
PROPER_NOUNS = {"Spark Desktop", "Hugging Face"}  # the same in every language


def _literal_text(node: ast.AST) -> str | None:
    """The words of a string literal or f-string (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.IfExp):
        return (_literal_text(node.body) or "") + (_literal_text(node.orelse) or "")
    if isinstance(node, ast.BinOp):
        return (_literal_text(node.left) or "") + (_literal_text(node.right) or "")
    return None


def untranslated_literals(source: str, filename: str) -> list[str]:
    """`file:line: text` for each call that shows a literal with words to a person."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = list(node.args) if name in TEXT_METHODS | TEXT_CLASSES else []
        args += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for arg in args:
            text = _literal_text(arg)
            words = re.sub(r"<[^>]*>", "", text or "")  # markup is not read
            if words not in PROPER_NOUNS and WORDS.search(words) \
                    and not re.fullmatch(r"#[0-9a-fA-F]{3,8}", words):  # a colour
                found.append(f"{filename}:{node.lineno}: {text!r}")
    return found


def test_the_scanner_finds_literals_and_accepts_translated_text() -> None:
    bad = ('QLabel("Hello")\nb.setText(f"Loaded {n} models")\n'
           'QLineEdit(placeholderText="Search…")\nb.setToolTip("x" if a else "Stop it")\n')
    good = ('QLabel(self.tr("Hello"))\nb.setText(self.tr("{n} models").format(n=n))\n'
            'b.setText("")\nb.setText("‹ 2/3 ›")\nQLabel(name)\n')
    assert len(untranslated_literals(bad, "bad.py")) == 4
    assert untranslated_literals(good, "good.py") == []


def test_no_user_visible_literal_bypasses_translation() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        rel = path.relative_to(UI).as_posix()
        found += untranslated_literals(path.read_text(encoding="utf-8"), rel)
    assert found == [], "wrap these in self.tr() / QCoreApplication.translate():\n" + \
        "\n".join(found)


def _messages(language: str) -> list[ET.Element]:
    root = ET.parse(build_translations.ts_path(language)).getroot()
    return root.findall("./context/message")


def _translations(message: ET.Element) -> list[str]:
    tr = message.find("translation")
    forms = tr.findall("numerusform")
    return [f.text or "" for f in forms] if forms else [tr.text or ""]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_translation_is_complete_and_keeps_placeholders(language: str) -> None:
    messages = _messages(language)
    assert len(messages) > 150
    for message in messages:
        source = message.findtext("source")
        tr = message.find("translation")
        assert tr.get("type") is None, f"unfinished or obsolete: {source!r}"
        for text in _translations(message):
            assert text.strip(), f"empty translation of {source!r}"
            assert sorted(re.findall(r"\{\w+\}", text)) == \
                sorted(re.findall(r"\{\w+\}", source)), f"placeholders of {source!r}"
            assert ("%n" in text) == ("%n" in source), f"%n of {source!r}"


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_shipped_qm_is_the_build_of_the_ts(language: str) -> None:
    assert i18n.qm_path(language).exists()
    assert not build_translations.stale(language), \
        "run: python tools/build_translations.py --release"


def test_ts_lists_every_text_of_the_sources(tmp_path: Path, monkeypatch) -> None:
    """lupdate on today's sources adds nothing: no text was wrapped but left untranslated."""
    ts = build_translations.ts_path("zh_CN")
    copy = tmp_path / ts.name
    copy.write_bytes(ts.read_bytes())
    monkeypatch.setattr(build_translations, "TS_DIR", tmp_path)
    build_translations.update("zh_CN")
    root = ET.parse(copy).getroot()
    unfinished = [m.findtext("source") for m in root.findall("./context/message")
                  if m.find("translation").get("type") == "unfinished"]
    assert unfinished == []


@pytest.mark.parametrize(("choice", "system", "expected"), [
    ("system", "zh_CN", "zh_CN"), ("system", "zh_SG", "zh_CN"), ("system", "zh_TW", "en"),
    ("system", "de_DE", "en"), ("en", "zh_CN", "en"), ("zh_CN", "en_US", "zh_CN"),
    ("klingon", "en_US", "en"),
])
def test_language_setting_picks_the_translation(choice: str, system: str,
                                                expected: str) -> None:
    assert i18n.resolve(choice, QLocale(system)) == expected


CJK = re.compile(r"[\u3400-\u9fff]")
#: Texts that stay as they are in Chinese: names, units, numbers, symbols.
KEPT = re.compile(r"^(Spark Desktop|Hugging Face|Flash Attention|English|f16|q8_0|q4_0|Top [pk]"
                  r"|Min p|[\d\s.,:/%·—–≈-]*"
                  r"|[\d.,\s]*(B|KiB|MiB|GiB|TiB|GB|tok/s|s|min|h)?)$")
MODEL_NAMES = re.compile("|".join(
    [re.escape(r.title) for r in RECOMMENDED] + [r"\bQ\d_\w+\b", r"\bMXFP4\b", "GiB"]))


def _kept(text: str) -> bool:
    """True for a text that needs no translation: names, units, numbers, symbols."""
    return bool(KEPT.match(MODEL_NAMES.sub("", text).strip()))


def _visible_texts(root: QWidget) -> list[str]:
    """The words a person sees in `root`: labels, buttons, fields' placeholders, combo
    items, list items and table headers of widgets shown on screen."""
    texts: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root.window()):
            continue
        if isinstance(w, QLabel | QAbstractButton):
            texts.append(re.sub(r"<[^>]+>", "", w.text()))
        if isinstance(w, QLineEdit | QPlainTextEdit):
            texts.append(w.placeholderText())
        if isinstance(w, QComboBox):
            texts += [w.itemText(i) for i in range(w.count())]
            texts.append(w.placeholderText())
        if isinstance(w, QListWidget):
            texts += [w.item(i).text() for i in range(w.count()) if not w.item(i).isHidden()]
        if isinstance(w, QAbstractItemView) and hasattr(w, "horizontalHeader") \
                and w.model() is not None:
            model = w.model()
            texts += [str(model.headerData(c, w.horizontalHeader().orientation()) or "")
                      for c in range(model.columnCount())]
    return [t for t in texts if t.strip()]


@pytest.fixture
def chinese_window(qtbot) -> MainWindow:
    settings.save(settings.Settings(language="zh_CN"))
    app = QApplication.instance()
    window = create_window(app)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.chat is not None, timeout=30000)
    yield window
    window.translations.apply("en")  # the other tests see English


def test_every_page_speaks_chinese(qtbot, chinese_window: MainWindow) -> None:
    window = chinese_window
    assert window.translations.language == "zh_CN"
    pages = ("chat", "downloads", "models", "welcome", "discover", "compare", "settings")
    english = {}
    for name in pages:
        window.show_page(name)
        qtbot.wait(50)
        texts = _visible_texts(window.slots[name]) + _visible_texts(window.sidebar)
        english[name] = english_texts(texts)
    assert english == {name: [] for name in pages}
    assert window.sidebar.item(0).text() == "对话"
    settings_page = window.page("settings")  # with its Privacy and Cluster sections
    assert settings_page.privacy.title() == "隐私" and "集群" in settings_page.cluster.title()
    qtbot.waitUntil(lambda: CJK.search(settings_page.privacy.status.text()) is not None)
    assert english_texts(_visible_texts(settings_page.privacy)) == []


def english_texts(texts: list[str]) -> list[str]:
    """The texts of `texts` that are neither Chinese nor kept as they are."""
    return [t for t in texts if not CJK.search(t) and not _kept(t)]


@pytest.fixture
def chinese(qapp) -> i18n.Translations:
    translations = i18n.Translations(qapp)
    translations.apply("zh_CN")
    yield translations
    translations.apply("en")


def test_the_load_dialog_and_its_fit_texts_speak_chinese(qtbot, chinese, test_model) -> None:
    """The dialog's fit verdict, memory legend and speeds are built from the estimate's
    figures in the window's language (the core's reason is English)."""
    from spark_desktop.gguf import read_model
    from spark_desktop.hardware import resolve_target
    from spark_desktop.inference_settings import LoadSettings
    from spark_desktop.ui.pages.load_dialog import LoadDialog

    spec = read_model(test_model)
    verdicts = {}
    for target in ("spark", "2", "0.5"):  # fits; fits with a smaller context; does not
        dialog = LoadDialog("gemma", spec, resolve_target(target), LoadSettings(n_ctx=32768))
        qtbot.addWidget(dialog)
        dialog.show()
        texts = _visible_texts(dialog) + [dialog.windowTitle(), dialog.speed.toolTip(),
                                          dialog.chart.toolTip()]
        assert english_texts(texts) == []
        verdicts[target] = dialog.verdict.text()
        if target == "2":
            smaller = dialog.estimate.suggestion.n_ctx
    assert "可运行" in verdicts["spark"] and "留有安全余量" in verdicts["spark"]
    assert "缩短上下文可运行" in verdicts["2"]
    assert f"上下文缩短到 {smaller:,} 个 token" in verdicts["2"]
    assert dialog.estimate.max_context == 0
    assert "内存不足" in verdicts["0.5"] and "扣除安全余量后" in verdicts["0.5"]


def test_the_lock_screen_and_passphrase_dialogs_speak_chinese(qtbot, chinese,
                                                              tmp_path: Path) -> None:
    from spark_desktop.ui.lock import LockScreen
    from spark_desktop.ui.pages.privacy import NewPassphraseDialog, PassphraseDialog

    screen = LockScreen()
    qtbot.addWidget(screen)
    screen.show()
    screen.refused()
    assert english_texts(_visible_texts(screen)) == []
    assert screen.problem.text() and screen.field.placeholderText() == "你的口令"
    for dialog in (PassphraseDialog(tmp_path / "history.sqlite3"), NewPassphraseDialog()):
        qtbot.addWidget(dialog)
        dialog.show()
        assert english_texts(_visible_texts(dialog) + [dialog.windowTitle()]) == []


def test_core_sentences_marked_for_translation_are_the_cores() -> None:
    """A listed sentence the core no longer says would silently stay untranslated."""
    from spark_desktop.ui.bridges import CORE_SENTENCES

    core = " ".join(
        re.sub(r'"\s*\n\s*"', "", p.read_text(encoding="utf-8"))
        for p in (ROOT / "spark_desktop").rglob("*.py") if UI not in p.parents)
    for sentence in CORE_SENTENCES:
        assert sentence in core, sentence


def test_doctor_check_names_marked_for_translation_are_the_doctors() -> None:
    from spark_desktop.ui.pages.settings import CHECK_NAMES

    doctor = (ROOT / "spark_desktop" / "doctor.py").read_text(encoding="utf-8")
    for name in CHECK_NAMES:
        assert f'"{name}"' in doctor, name


def test_language_choices_name_each_language_in_itself(qapp) -> None:
    translations = i18n.Translations(qapp)
    try:
        translations.apply("zh_CN")
        assert i18n.language_choices() == [("system", "跟随系统"), ("en", "English"),
                                           ("zh_CN", "简体中文")]
    finally:
        translations.apply("en")
    assert i18n.language_choices()[0] == ("system", "Same as the system")


def test_fcitx_users_get_an_input_method_this_qt_has() -> None:
    """The composer takes Chinese input: fcitx is asked through ibus when this Qt has no
    fcitx plugin; any other choice, or a Qt with the fcitx plugin, is left alone."""
    from spark_desktop.ui.app import input_method_module, input_method_plugins

    plugins = input_method_plugins()
    assert "ibus" in plugins  # PySide6's Qt ships it
    expected = None if "fcitx" in plugins else "ibus"
    assert input_method_module({"QT_IM_MODULE": "fcitx"}, plugins) == expected
    assert input_method_module({"QT_IM_MODULE": "fcitx"}, plugins | {"fcitx"}) is None
    assert input_method_module({"QT_IM_MODULE": "ibus"}, plugins) is None
    assert input_method_module({}, plugins) is None
