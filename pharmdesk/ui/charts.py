"""The small bar chart above the Segments table: what a list of rows cannot show at once.

Three pictures from ``getSegmentSummary``: the branch's most common conditions (the one
being searched highlighted; click a bar to search it), refills due per day (overdue
first, in red; weeks or months for long windows), and how high-value customers' spend
is spread over round-numbered bands. Only counts, never a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

from pharmdesk.controllers.validation import search_key
from pharmdesk.ui.formatting import CURRENCY_SYMBOLS
from pharmdesk.ui.theme import CHART_BAR, CHART_HIGHLIGHT, CHART_LABEL, DANGER

CHART_HEIGHT = 240  # where the Segments splitter starts
CHART_MINIMUM_HEIGHT = 150  # ten bars still readable
DAILY_UP_TO = 14  # days shown one bar each; longer windows by week
WEEKLY_UP_TO = 98  # then by month


def compact_money(amount: int, currency: str | None = "NGN") -> str:
    """₦1.5M, ₦200k: short enough for a bar's label (no symbol when currency is None)."""
    symbol = "" if currency is None else CURRENCY_SYMBOLS.get(currency, currency + " ")
    for size, suffix in ((1_000_000_000, "bn"), (1_000_000, "M"), (1_000, "k")):
        if amount >= size:
            return f"{symbol}{amount / size:.3g}{suffix}"
    return f"{symbol}{amount}"


def band_label(band: dict[str, Any], currency: str = "NGN") -> str:
    start = compact_money(int(band["from"]), currency)
    if band["to"] is None:
        return f"{start}+"
    return f"{start}–{compact_money(int(band['to']), None)}"


def refill_bars(summary: dict[str, Any]) -> list[tuple[str, int]]:
    """(label, refills) per bar: overdue, then days, weeks or months as the window needs."""
    by_day = summary["dueByDay"]
    bars: list[tuple[str, int]] = [("Overdue", int(summary["overdue"]))]
    days = len(by_day)
    groups: dict[str, int] = {}
    for entry in by_day:
        date = dt.date.fromisoformat(entry["date"])
        if days <= DAILY_UP_TO:
            label = date.strftime("%a %d")
        elif days <= WEEKLY_UP_TO:
            start = dt.date.fromisoformat(by_day[0]["date"])
            week_start = start + dt.timedelta(days=(date - start).days // 7 * 7)
            label = week_start.strftime("%d %b")
        else:
            label = date.strftime("%b %y")
        groups[label] = groups.get(label, 0) + int(entry["refills"])
    bars.extend(groups.items())
    return bars


class SegmentChart(QChartView):
    """A bar chart that redraws from one summary answer."""

    condition_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("segmentChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        # The Segments tab puts the chart in a splitter the person can move; it starts at
        # CHART_HEIGHT and may shrink to a strip or grow.
        self.setMinimumHeight(CHART_MINIMUM_HEIGHT)
        self.setAccessibleName("Segment chart")
        self.categories: list[str] = []
        self.values: list[int] = []
        self.highlighted: list[int] = []
        self._new_chart("")

    # -- building --------------------------------------------------------------------------------
    def _new_chart(self, title: str) -> QChart:
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().hide()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        title_font = QFont()
        title_font.setPointSizeF(10.5)
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        # Chart titles and axis labels are drawn as HTML: stored names are escaped.
        chart.setTitle(escape(title))
        old = self.chart()
        self.setChart(chart)
        if old is not None and old is not chart:
            old.deleteLater()
        return chart

    def _bars(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[int],
        *,
        highlighted: Sequence[int] = (),
        highlight_colour: str = CHART_HIGHLIGHT,
        horizontal: bool = False,
        value_title: str = "",
    ) -> QBarSet:
        self.categories, self.values = list(labels), [int(v) for v in values]
        self.highlighted = list(highlighted)
        chart = self._new_chart(title)
        bar_set = QBarSet(value_title or "count")
        bar_set.setColor(QColor(CHART_BAR))
        bar_set.setBorderColor(QColor(CHART_BAR))
        bar_set.setSelectedColor(QColor(highlight_colour))
        bar_set.append([float(v) for v in self.values])
        bar_set.setLabelColor(QColor(CHART_LABEL))
        for index in self.highlighted:
            bar_set.selectBar(index)
        series = QHorizontalBarSeries() if horizontal else QBarSeries()
        series.append(bar_set)
        series.setBarWidth(0.7)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        category_axis = QBarCategoryAxis()
        category_axis.append([escape(label) for label in self.categories])
        category_axis.setTruncateLabels(False)  # a condition's name matters more than room
        value_axis = QValueAxis()
        value_axis.setLabelFormat("%d")
        top = max(self.values, default=0)
        # Head room so the number above the tallest bar is not cut off.
        value_axis.setRange(0, max(4, top * 1.18))
        value_axis.applyNiceNumbers()  # ticks on round numbers
        value_axis.setTitleText(value_title)
        small = QFont()
        small.setPointSizeF(8.5)
        for axis in (category_axis, value_axis):
            axis.setLabelsFont(small)
            axis.setGridLineVisible(axis is value_axis)
        if horizontal:
            chart.addAxis(category_axis, Qt.AlignmentFlag.AlignLeft)
            chart.addAxis(value_axis, Qt.AlignmentFlag.AlignBottom)
        else:
            chart.addAxis(category_axis, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(value_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(category_axis)
        series.attachAxis(value_axis)
        return bar_set

    # -- the three pictures ---------------------------------------------------------------------
    def show_conditions(self, conditions: Sequence[dict[str, Any]], searched: str = "") -> None:
        """Top conditions, most common at the top; those the search matches highlighted."""
        ordered = list(reversed(conditions))  # a horizontal chart draws its first bar lowest
        key = search_key(searched)
        highlighted = [
            i for i, c in enumerate(ordered) if key and key in search_key(str(c["condition"]))
        ]
        if not ordered:
            self._empty("No conditions recorded yet")
            return
        bar_set = self._bars(
            "Customers per condition (top 10) — click a bar to list them",
            [str(c["condition"]) for c in ordered],
            [int(c["customers"]) for c in ordered],
            highlighted=highlighted,
            horizontal=True,
            value_title="customers",
        )
        labels = [str(c["condition"]) for c in ordered]
        bar_set.clicked.connect(lambda index: self.condition_clicked.emit(labels[index]))

    def show_refills(self, summary: dict[str, Any]) -> None:
        bars = refill_bars(summary)
        start = dt.date.fromisoformat(summary["from"]).strftime("%d %b")
        end = dt.date.fromisoformat(summary["to"]).strftime("%d %b")
        window = f"today ({start})" if start == end else f"{start} – {end}"
        days = len(summary["dueByDay"])
        if days > WEEKLY_UP_TO:
            window += ", by month"
        elif days > DAILY_UP_TO:
            window += ", by week"
        self._bars(
            f"Refills due: {int(summary['refills']):,} — overdue in red, then {window}",
            [label for label, _n in bars],
            [n for _label, n in bars],
            highlighted=[0],
            highlight_colour=DANGER,
            value_title="refills",
        )

    def show_spend(self, summary: dict[str, Any], currency: str = "NGN") -> None:
        bands = summary["bands"]
        if not bands:
            self._empty("No customer has spent that much yet")
            return
        self._bars(
            "How much they spent: customers per band",
            [band_label(b, currency) for b in bands],
            [int(b["customers"]) for b in bands],
            value_title="customers",
        )

    def _empty(self, message: str) -> None:
        self.categories, self.values, self.highlighted = [], [], []
        self._new_chart(message)

    def clear(self) -> None:
        self._empty("")
