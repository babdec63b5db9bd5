"""One rule for every window and dialog: it fits the screen it opens on.

A front-desk PC is often a 1366×768 laptop, or 1280×720 at 125 % (1024×576 usable
points). A dialog taller than that hides its buttons below the screen edge. So, when
any window is first shown:

- its size is clamped to the screen's available geometry (less a title bar), and it is
  moved back inside the screen;
- if its content cannot shrink that far, the content goes into a scroll area and the
  button row stays outside it, always visible (wizard pages scroll inside the wizard).

``install(app)`` applies the rule to every top-level window of the application, so a new
dialog cannot forget it; ``fit(window)`` applies it to one window now.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLayout,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

# What the window manager adds around a window: a title bar on top, thin edges.
TITLE_BAR = 32
EDGE = 8
WRAPPED = "pharmdeskScrollWrapped"
FITTED = "pharmdeskFitted"


def available(widget: QWidget | None = None) -> QRect:
    """The usable part of the screen the widget is on (the primary screen before show)."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def room(widget: QWidget | None = None) -> QSize:
    """The largest client area a window can have and still lie whole on the screen."""
    area = available(widget)
    return QSize(area.width() - 2 * EDGE, area.height() - TITLE_BAR - EDGE)


def first_run_geometry(widget: QWidget, share: float = 0.92) -> QRect:
    """Most of the available screen, centred: the main window's size before any is saved."""
    area = available(widget)
    limit = room(widget)
    width = min(limit.width(), round(area.width() * share))
    height = min(limit.height(), round(area.height() * share))
    rect = QRect(0, 0, width, height)
    rect.moveCenter(area.center())
    return rect


def _button_item(layout: QLayout) -> int:
    """Index of the layout's button row (a QDialogButtonBox or a row of only buttons)."""
    for index in range(layout.count() - 1, -1, -1):
        item = layout.itemAt(index)
        if item is None:
            continue
        widget = item.widget()
        if isinstance(widget, QDialogButtonBox):
            return index
        child = item.layout()
        if child is not None:
            parts = [child.itemAt(i) for i in range(child.count())]
            widgets = [p.widget() for p in parts if p is not None and p.widget() is not None]
            if widgets and all(isinstance(w, QAbstractButton) for w in widgets):
                return index
        if widget is not None or child is not None:
            return -1  # the last real item is not buttons: nothing to keep outside
    return -1


def wrap_in_scroll(holder: QWidget) -> QScrollArea | None:
    """Move ``holder``'s content into a scroll area, keeping its button row outside.

    Does nothing (returns None) when the holder has no layout or was wrapped before.
    """
    old = holder.layout()
    if old is None or holder.property(WRAPPED):
        return None
    holder.setProperty(WRAPPED, True)
    buttons_at = _button_item(old)
    buttons = old.takeAt(buttons_at) if buttons_at >= 0 else None
    margins = old.contentsMargins()
    body = QWidget()
    body.setObjectName("scrolledBody")
    body.setLayout(old)  # Qt moves the layout and its widgets into the body
    old.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setObjectName("screenFitScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    scroll.setWidget(body)
    outer = QVBoxLayout(holder)
    outer.setContentsMargins(margins)
    outer.addWidget(scroll, 1)
    if buttons is not None:
        button_widget, button_row = buttons.widget(), buttons.layout()
        if button_widget is not None:
            outer.addWidget(button_widget)
        elif button_row is not None:
            row = QWidget()
            row.setLayout(button_row)
            button_row.setContentsMargins(0, 0, 0, 0)
            outer.addWidget(row)
            row.show()
    # A widget added to a holder that is already on screen is only shown by a queued
    # call, so until the next event loop turn the whole content would be hidden (a
    # wizard page wrapped as the wizard appears). Shown now, it appears with its holder.
    scroll.show()
    return scroll


def _wizard_chrome(wizard: QWizard) -> int:
    """Height the wizard spends outside its current page (title, buttons, margins)."""
    page = wizard.currentPage()
    page_height = page.height() if page is not None else 0
    return max(0, wizard.height() - page_height)


def fit(window: QWidget) -> None:
    """Apply the rule to one top-level window now (safe to call again)."""
    limit = room(window)
    if isinstance(window, QWizard):
        for page_id in window.pageIds():
            page = window.page(page_id)
            if isinstance(page, QWizardPage) and page.layout() is not None:
                wrap_in_scroll(page)
    elif isinstance(window, QDialog) and not isinstance(window, QMainWindow):
        needed = window.minimumSizeHint()
        if needed.height() > limit.height() or needed.width() > limit.width():
            # The size it would have had (asked for, or its content's), clamped below.
            wanted = window.size().expandedTo(window.sizeHint())
            if wrap_in_scroll(window) is not None:
                window.setMinimumSize(0, 0)
                window.resize(wanted)
    top = window.layout()
    if top is not None:
        top.activate()
    smallest = window.minimumSize().expandedTo(window.minimumSizeHint())
    if smallest.height() > limit.height() or smallest.width() > limit.width():
        window.setMinimumSize(smallest.boundedTo(limit))
    window.setMaximumSize(window.maximumSize().expandedTo(QSize(1, 1)))
    size = window.size().boundedTo(limit)
    if size != window.size():
        window.resize(size)
    _move_inside(window)
    window.setProperty(FITTED, True)


def grow(window: QWidget) -> None:
    """Make room for content that grew (a message under a form): ``adjustSize`` that goes
    up to the screen's room. Qt's own stops at two thirds of the screen, which on a
    1024×576 desk squashes a form's messages into each other."""
    window.adjustSize()
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    width = window.width()
    needed = window.sizeHint().height()
    if layout.hasHeightForWidth():
        needed = max(needed, layout.totalHeightForWidth(width))
    limit = room(window)
    # More than the screen holds now: the content scrolls, the buttons stay.
    too_tall = needed > limit.height() and not isinstance(window, QWizard)
    if too_tall and isinstance(window, QDialog) and wrap_in_scroll(window) is not None:
        window.setMinimumSize(0, 0)
    height = min(max(needed, window.height()), limit.height())
    if height != window.height():
        window.resize(width, height)
    _move_inside(window)


def _move_inside(window: QWidget) -> None:
    area = available(window)
    geometry = window.geometry()
    left = min(max(geometry.left(), area.left() + EDGE), area.right() - EDGE - geometry.width())
    top = min(
        max(geometry.top(), area.top() + TITLE_BAR),
        area.bottom() - EDGE - geometry.height(),
    )
    left = max(left, area.left())
    top = max(top, area.top())
    if (left, top) != (geometry.left(), geometry.top()):
        window.move(left, top)


class _ScreenFitter(QObject):
    """Fits each top-level window as it is shown."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            flags = watched.windowType()
            if watched.isWindow() and flags in (
                Qt.WindowType.Window,
                Qt.WindowType.Dialog,
                Qt.WindowType.Sheet,
            ):
                fit(watched)
        return False


def install(app: QApplication) -> None:
    """Apply the rule to every window of ``app`` (once per application)."""
    if app.property("pharmdeskScreenFit"):
        return
    fitter = _ScreenFitter(app)
    app.installEventFilter(fitter)
    app.setProperty("pharmdeskScreenFit", True)
