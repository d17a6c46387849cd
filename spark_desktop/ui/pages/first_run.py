"""First run: what this machine is (or the target the settings plan for), and a few models
that fit it, one click to download."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.ui import fitview
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.icon import decorate
from spark_desktop.ui.recommended import RECOMMENDED, Recommendation
from spark_desktop.ui.services import Services
from spark_desktop.ui.theme import badge_colour

GIB = 1024 ** 3
translate = QCoreApplication.translate


def machine_text(machine: Any) -> str:
    """"DGX Spark — 128 GB unified memory" or e.g. "Linux PC — 24 GB RAM, no NVIDIA GPU"."""
    ram = round(machine.memory_total / GIB)
    gpus = machine.gpus
    if any("GB10" in g.name for g in gpus):
        return translate("FirstRunPage", "DGX Spark — 128 GB unified memory")
    if not gpus:
        return translate("FirstRunPage", "Linux PC — {ram} GB RAM, no NVIDIA GPU").format(
            ram=ram)
    if machine.unified_memory:
        return translate("FirstRunPage", "Linux PC — {ram} GB unified memory ({gpu})").format(
            ram=ram, gpu=gpus[0].name)
    vram = round((gpus[0].memory_total or 0) / GIB)
    return translate("FirstRunPage", "Linux PC — {ram} GB RAM, {gpu} with {vram} GB").format(
        ram=ram, gpu=gpus[0].name, vram=vram)


class RecommendationCard(QFrame):
    """One suggestion: name, size, fit badge, speed, why, and Download."""

    download = Signal(object)  # hub.Variant

    def __init__(self, rec: Recommendation, where: str = "this machine") -> None:
        super().__init__()
        self.rec = rec
        self.where = where  # the planning target in words: "this machine", "a DGX Spark"
        self.variant: Any = None
        self.setObjectName("card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        self.title = QLabel(f"<b>{rec.title}</b> · {rec.quant} · ≈ {human_bytes(rec.approx_size)}")
        self.badge = QLabel(self.tr("checking the fit…"))
        why = QLabel(translate("Recommendation", rec.why))
        why.setWordWrap(True)
        self.speed = QLabel("")
        self.button = QPushButton(self.tr("Download"))
        self.button.setAccessibleName(self.tr("Download {model}").format(model=rec.title))
        decorate(self.button, "downloads")
        self.button.setEnabled(False)
        self.button.clicked.connect(lambda: self.download.emit(self.variant))
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.badge, 0, 1)
        grid.addWidget(self.button, 0, 2, 2, 1)
        grid.addWidget(why, 1, 0, 1, 2)
        grid.addWidget(self.speed, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)

    def checked(self, variant: Any, est: Any) -> None:
        self.variant = variant
        b = fitview.badge(est)
        self.badge.setText(f"<b style='color:{badge_colour(b.colour)}'>{b.text}</b>")
        self.badge.setToolTip(b.reason)
        self.title.setText(f"<b>{self.rec.title}</b> · {variant.quant} · "
                           f"{human_bytes(variant.size)}")
        self.speed.setText(self.tr("{speed} on {target}. {reason}").format(
            speed=fitview.decode_speed_text(est), target=self.where, reason=b.reason))
        self.button.setEnabled(b.level != "no")
        self.setVisible(b.level != "no")

    def unknown(self, reason: str) -> None:
        self.badge.setText(self.tr("fit unknown"))
        self.speed.setText(reason)


class FirstRunPage(QWidget):
    download_started = Signal()
    browse = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.cards: list[RecommendationCard] = []
        self._suggesting = False  # the cards are being (or were) made
        title = QLabel(self.tr("Welcome to Spark Desktop"))
        title.setProperty("role", "title")
        self.machine = QLabel(self.tr("Looking at this machine…"))
        self.machine.setStyleSheet("font-size: 13pt;")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.intro = QLabel("")
        self.intro.setWordWrap(True)
        self.list = QVBoxLayout()
        body = QWidget()
        column = QVBoxLayout(body)
        for w in (title, self.machine, self.intro, self.status):
            column.addWidget(w)
        column.addLayout(self.list)
        browse = QPushButton(self.tr("Browse all models in Discover"), clicked=self.browse.emit)
        column.addWidget(browse)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._describe(self.tr("this machine"))
        if services.machine is not None:
            self._machine_ready(services.machine)
        services.machine_ready.connect(self._machine_ready)

    def _describe(self, where: str) -> None:
        self.intro.setText(self.tr("Models that fit {target} — one click downloads one; then "
                                   "load it in My Models and chat.").format(target=where))

    def _machine_ready(self, machine: Any) -> None:
        if self._suggesting:
            return
        self._suggesting = True
        target = self.services.target
        where = fitview.target_label(target)
        if self.services.plans_elsewhere:  # settings plan for a Spark (or a size), not here
            self.machine.setText(fitview.planning_text(target))
            self.machine.setToolTip(self.tr(
                "This computer: {machine}. Fit and speed below are for {target} (\"target\" "
                "in settings.json).").format(machine=machine_text(machine), target=where))
        else:
            self.machine.setText(machine_text(machine))
        self._describe(where)
        pool = self.services.pool_bytes
        fitting = [rec for rec in RECOMMENDED if not pool or rec.approx_size <= pool]
        if not fitting:
            self.status.setText(self.tr("None of our suggestions fits the memory of {target}; "
                                        "Discover shows smaller models.").format(target=where))
        self._add_cards(fitting, where)

    def _add_cards(self, recs: list[Recommendation], where: str) -> None:
        """A card per turn of the event loop: each takes milliseconds to build and style,
        and the window must not stall; then their checks (whose first imports the Hub's
        HTTP stack on a worker, which would slow the cards still to be built)."""
        if not recs:
            for card in self.cards:
                self._check(card)
            return
        card = RecommendationCard(recs[0], where)
        card.download.connect(self.download)
        self.cards.append(card)
        self.list.addWidget(card)
        QTimer.singleShot(0, self, lambda: self._add_cards(recs[1:], where))

    def _check(self, card: RecommendationCard) -> None:
        """Read the suggestion's header from the Hub and estimate its fit here."""
        rec, target, chosen = card.rec, self.services.target, self.services.settings.load

        def work() -> tuple[Any, Any]:
            from spark_desktop import hub

            variant = hub.choose(hub.list_variants(rec.repo), rec.quant)
            return variant, fitview.estimate(hub.remote_spec(variant), chosen, target)

        run_async(work, lambda r: card.checked(*r), lambda e: self._unknown(card, e),
                  parent=card)

    def _unknown(self, card: RecommendationCard, exc: BaseException) -> None:
        from spark_desktop.hub import OfflineError

        if isinstance(exc, OfflineError):
            card.unknown(self.tr("Its fit is checked as soon as the Hub can be reached."))
            self.status.setText(error_text(exc))
        else:
            card.unknown(error_text(exc))

    def download(self, variant: Any) -> None:
        self.services.downloads.add_variant(variant)
        self.download_started.emit()
