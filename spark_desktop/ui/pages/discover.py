"""Discover: search the Hub, read a model card safely, pick a variant that fits, download.

Every Hub request runs off the GUI thread; answers to an older query or repository
are dropped, so typing fast never shows stale results.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.ui import fitview
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.icon import decorate
from spark_desktop.ui.models.search import SearchResultsModel
from spark_desktop.ui.models.table import VALUE_ROLE
from spark_desktop.ui.models.variants import DOWNLOAD_COLUMN, VariantsModel, variant_key
from spark_desktop.ui.services import Services
from spark_desktop.ui.widgets import record_table, replace_images

SEARCH_DELAY_MS = 350
PAGE_SIZE = 30
SORTS = ((QT_TRANSLATE_NOOP("DiscoverPage", "Most downloaded"), "downloads"),
         (QT_TRANSLATE_NOOP("DiscoverPage", "Most liked"), "likes"),
         (QT_TRANSLATE_NOOP("DiscoverPage", "Trending"), "trending"),
         (QT_TRANSLATE_NOOP("DiscoverPage", "Recently updated"), "updated"))


class SafeBrowser(QTextBrowser):
    """A model card viewer that never fetches anything: no remote images, no local files.

    QTextBrowser runs no scripts; loadResource returning nothing keeps images (remote or
    file://) from loading, and links open in the system browser only when clicked.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._open)

    def loadResource(self, kind: int, name: QUrl) -> Any:
        return None

    def show_markdown(self, text: str) -> None:
        """Render Markdown with every image shown as "[image: address]" in words."""
        self.setMarkdown(text)
        replace_images(self.document())

    @staticmethod
    def _open(url: QUrl) -> None:
        if url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)


class RepoView(QWidget):
    """One repository: its model card and its variants with fit badges and Download."""

    back = Signal()
    download = Signal(object)  # hub.Variant

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.repo = ""
        self._quant = ""
        self._generation = 0
        back = QPushButton(self.tr("← Results"), clicked=self.back.emit)
        self.title = QLabel("")
        self.title.setProperty("role", "title")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(back)
        top.addWidget(self.title, 1)
        self.card = SafeBrowser()
        self.variants = VariantsModel(self)
        self.table = record_table(self.variants, stretch=2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.card)
        tablebox = QWidget()
        tl = QVBoxLayout(tablebox)
        tl.setContentsMargins(0, 0, 0, 0)
        files = QHBoxLayout()
        files.addWidget(QLabel(self.tr("Files (one per quantization):")), 1)
        self.compare = QPushButton(self.tr("Add to comparison"), clicked=self.add_to_comparison)
        self.compare.setToolTip(self.tr("Add the selected files (or all of them) to the spec "
                                        "sheet: sizes, fit and speed side by side"))
        files.addWidget(self.compare)
        tl.addLayout(files)
        tl.addWidget(self.table)
        split.addWidget(tablebox)
        split.setSizes([300, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    def open(self, repo: str, quant: str | None = None) -> None:
        """Show `repo`: fetch its card and its variants, then each variant's fit; the
        variant of `quant` is selected."""
        self._generation += 1
        generation = self._generation
        self.repo = repo
        self._quant = (quant or "").upper()
        self.title.setText(repo)
        self.card.show_markdown(self.tr("Loading the model card…"))
        self.variants.set_variants(())
        self.status.setText(self.tr("Listing files…"))

        def current(fn: Any) -> Any:
            return lambda value: fn(value) if generation == self._generation else None

        run_async(lambda: _hub().card.model_card(repo), current(self._show_card),
                  current(lambda e: self.card.show_markdown(f"*{error_text(e)}*")), parent=self)
        run_async(lambda: _hub().list_variants(repo), current(self._show_variants),
                  current(lambda e: self.status.setText(error_text(e))), parent=self)

    def _show_card(self, markdown: str) -> None:
        self.card.show_markdown(markdown or self.tr("*This repository has no model card.*"))

    def _show_variants(self, files: Any) -> None:
        self.status.setText(
            "" if files.variants else self.tr("This repository has no GGUF model files."))
        if files.gated:
            self.status.setText(self.tr("This model is gated: accept its licence on the Hub "
                                        "and log in (see Settings) before downloading."))
        self.variants.set_variants(files.variants)
        for row, variant in enumerate(files.variants):
            button = QPushButton(self.tr("Download"))
            button.setAccessibleName(self.tr("Download {file}").format(file=variant.name))
            decorate(button, "downloads")
            button.setEnabled(variant.complete)
            button.clicked.connect(lambda _=False, v=variant: self.download.emit(v))
            self.table.setIndexWidget(self.variants.index(row, DOWNLOAD_COLUMN), button)
            if self._quant and variant.quant.upper() == self._quant:
                self.table.selectRow(row)
            if variant.complete:
                self._estimate(variant)

    def add_to_comparison(self) -> None:
        """The selected variants (all complete ones when none is selected) to the spec sheet."""
        from spark_desktop.ui.pages.spec_sheet import sheet_for

        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        chosen = [self.variants.value(r).variant for r in rows] or [
            r.variant for r in self.variants.values()]
        sheet_for(self, self.services).add_variants(tuple(v for v in chosen if v.complete))

    def _estimate(self, variant: Any) -> None:
        """Read the variant's header remotely (a few byte ranges) and estimate its fit."""
        generation, key = self._generation, variant_key(variant)
        chosen, target = self.services.settings.load, self.services.target
        target_name = self.services.settings.target

        def work() -> tuple[Any, str]:
            from spark_desktop.hardware import resolve_target

            spec = _hub().remote_spec(variant)
            planned = target or resolve_target(target_name)
            return fitview.estimate(spec, chosen, planned), fitview.target_label(planned)

        def done(result: tuple[Any, str]) -> None:
            if generation == self._generation:
                self.variants.set_estimate(key, estimate=result[0], where=result[1])

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.variants.set_estimate(key, problem=error_text(exc))

        run_async(work, done, failed, parent=self)


class DiscoverPage(QWidget):
    download_started = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._generation = 0
        self._page = 0
        self.query = QLineEdit(placeholderText=self.tr(
            "Search GGUF models on Hugging Face (e.g. qwen, gemma, llama)…"))
        self.query.setAccessibleName(self.tr("Search models"))
        self.query.setClearButtonEnabled(True)
        self.sort = QComboBox()
        for label, _key in SORTS:
            self.sort.addItem(self.tr(label))
        self.sort.setAccessibleName(self.tr("Sort by"))
        self.timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.query.returnPressed.connect(self.search)
        self.sort.currentIndexChanged.connect(lambda _i: self.search())
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.results = SearchResultsModel(self)
        self.table = record_table(self.results)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.activated.connect(self._open_row)
        self.table.doubleClicked.connect(self._open_row)
        self.more = QPushButton(self.tr("More results"), clicked=self.load_more)
        self.more.hide()
        self.embedders_button = QPushButton(self.tr("Embedding models for documents"),
                                            checkable=True)
        self.embedders = _embedding_list()
        self.embedders_button.toggled.connect(self.embedders.setVisible)
        self.embedders.itemActivated.connect(
            lambda item: self.open_repo(*item.data(Qt.ItemDataRole.UserRole)))
        results = QWidget()
        rl = QVBoxLayout(results)
        title = QLabel(self.tr("Discover"))
        title.setProperty("role", "title")
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.sort)
        row.addWidget(self.embedders_button)
        rl.addWidget(title)
        rl.addLayout(row)
        rl.addWidget(self.embedders)
        rl.addWidget(self.status)
        rl.addWidget(self.table, 1)
        rl.addWidget(self.more)
        self.repo_view = RepoView(services)
        self.repo_view.back.connect(lambda: self.stack.setCurrentIndex(0))
        self.repo_view.download.connect(self.download)
        self.stack = QStackedWidget()
        self.stack.addWidget(results)
        self.stack.addWidget(self.repo_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._searched = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._searched:
            self.search()

    def search(self) -> None:
        """Start a new search for the text in the field (the popular models when empty)."""
        self.timer.stop()
        self._searched = True
        self._page = 0
        self._run(replace=True)

    def load_more(self) -> None:
        self._page += 1
        self._run(replace=False)

    def _run(self, replace: bool) -> None:
        self._generation += 1
        generation = self._generation
        text, sort, page = self.query.text().strip(), SORTS[self.sort.currentIndex()][1], \
            self._page
        self.status.setText(self.tr("Searching…"))

        def done(results: tuple[Any, ...]) -> None:
            if generation != self._generation:
                return
            if replace:
                self.results.set_values(results)
            else:
                self.results.append(results)
            self.more.setVisible(len(results) == PAGE_SIZE)
            where = fitview.target_label(self.services.target) \
                if self.services.target is not None else self.tr("this machine")
            self.status.setText(self.tr(
                "Open a model (double-click or Enter) to see its files and whether they fit "
                "{target}.").format(target=where) if self.results.rowCount()
                else self.tr("No GGUF models found. Try another word, or clear the search "
                             "to see the most popular models."))

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                if isinstance(exc, _hub().OfflineError):
                    self.results.set_values(())
                self.more.hide()
                self.status.setText(error_text(exc))

        run_async(lambda: _hub().search(text, sort=sort, limit=PAGE_SIZE, page=page),
                  done, failed, parent=self)

    def _open_row(self, index: Any) -> None:
        self.open_repo(self.results.data(index, VALUE_ROLE).repo)

    def open_repo(self, repo: str, quant: str | None = None) -> None:
        """Show `repo`'s files (with `quant`, a suggested one, selected once listed)."""
        self.repo_view.open(repo, quant)
        self.stack.setCurrentWidget(self.repo_view)

    def download(self, variant: Any) -> None:
        self.services.downloads.add_variant(variant)
        self.download_started.emit()


def _embedding_list() -> QListWidget:
    """The suggested embedding models (recommended.EMBEDDING_MODELS), hidden until asked
    for; each row holds (repo, quant)."""
    from spark_desktop.ui.format import human_bytes
    from spark_desktop.ui.recommended import EMBEDDING_MODELS

    translate = QCoreApplication.translate  # lupdate reads the calls spelt out
    rows = QListWidget()
    rows.setAccessibleName(QCoreApplication.translate("DiscoverPage",
                                                      "Embedding models for documents"))
    rows.setToolTip(QCoreApplication.translate(
        "DiscoverPage", "Small models that turn passages of your documents into vectors for "
        "search; choose one in Settings → Documents once downloaded."))
    for rec in EMBEDDING_MODELS:
        item = QListWidgetItem(QCoreApplication.translate(
            "DiscoverPage", "{title} ({quant}, about {size}): {why}").format(
            title=rec.title, quant=rec.quant, size=human_bytes(rec.approx_size),
            why=translate("Recommendation", rec.why)))
        item.setData(Qt.ItemDataRole.UserRole, (rec.repo, rec.quant))
        item.setToolTip(rec.repo)
        rows.addItem(item)
    rows.setMaximumHeight(rows.sizeHintForRow(0) * (len(EMBEDDING_MODELS) + 1))
    rows.hide()
    return rows


def _hub() -> Any:
    """The hub package, imported on first use (its HTTP stack is slow to import: worker
    threads import it, so the GUI thread finds it already loaded)."""
    import spark_desktop.hub.card  # noqa: F401 (model cards)
    from spark_desktop import hub

    return hub
