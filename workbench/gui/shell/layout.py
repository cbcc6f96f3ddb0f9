"""The window's size and dock layout: fits the screen, readable dock widths, saved and reset layouts."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer

LAYOUT_VERSION = 3  # 2: the data dock; 3: the sweep dock
PALETTE_MIN_WIDTH = 160
SIDE_MIN_WIDTH = 260


def first_size(available) -> tuple[int, int]:
    """The first window: 1600x1000 where it fits, else the screen's free area less a margin."""
    return min(1600, int(available.width() * 0.96)), min(1000, int(available.height() * 0.94))


class WindowLayout(QObject):
    def __init__(self, window):
        super().__init__(window)  # a QObject: its slots die with the window, not after it
        self.w = window
        self.default_state = None
        self.sized_once = False

    def fit_to_screen(self, screen=None) -> None:
        """The first window's size and place on ``screen`` (default: the window's own screen)."""
        w = self.w
        if screen is not None:
            w.setScreen(screen)
        avail = (screen or w.screen()).availableGeometry()
        width, height = first_size(avail.size())
        w.resize(width, height)
        w.move(avail.x() + (avail.width() - width) // 2, avail.y() + (avail.height() - height) // 2)
        self.keep_on_screen()

    def keep_on_screen(self) -> None:
        """A window never opens larger than the screen's free area or partly off it (a saved geometry from a
        bigger monitor, or the 1600x1000 default on a 1280x800 laptop)."""
        w = self.w
        avail = w.screen().availableGeometry()
        if w.width() > avail.width() or w.height() > avail.height():
            w.resize(min(w.width(), avail.width()), min(w.height(), avail.height()))
        frame = w.frameGeometry()
        if not avail.contains(frame):
            x = min(max(frame.x(), avail.x()), avail.right() - frame.width() + 1)
            y = min(max(frame.y(), avail.y()), avail.bottom() - frame.height() + 1)
            w.move(max(x, avail.x()), max(y, avail.y()))

    def arrange(self) -> None:
        """Where the docks start: bottom panels in one tab group beside the log, inspector over experiment."""
        w = self.w
        w.budget_dock.raise_()
        w.tabifyDockWidget(w.experiment_dock, w.inspector_dock)
        w.inspector_dock.raise_()
        w.splitDockWidget(w.budget_dock, w.log_dock, Qt.Orientation.Horizontal)
        w.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        w.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.default_dock_sizes()

    def default_dock_sizes(self) -> None:
        """Side docks wide enough to read, the canvas at least half the width, the bottom panels a third of
        the height; sizes only stick once the window has its real size, so this runs again on the first show."""
        w = self.w
        width, height = max(w.width(), 800), max(w.height(), 600)
        palette = max(PALETTE_MIN_WIDTH, min(215, int(width * 0.15)))
        side = max(SIDE_MIN_WIDTH, min(360, int(width * 0.24)))
        w.resizeDocks([w.palette_dock, w.inspector_dock], [palette, side], Qt.Orientation.Horizontal)
        w.resizeDocks([w.budget_dock], [max(220, min(320, int(height * 0.33)))], Qt.Orientation.Vertical)
        middle = width - palette - side
        w.resizeDocks([w.budget_dock, w.log_dock], [int(middle * 0.78), int(middle * 0.22)],
                      Qt.Orientation.Horizontal)

    def first_show(self) -> None:
        if not self.sized_once:
            self.sized_once = True
            if not isinstance(self.w.settings.value("windowState"), QByteArray):
                QTimer.singleShot(0, self, self.default_dock_sizes)

    def restore(self) -> None:
        w = self.w
        self.default_state = w.saveState(LAYOUT_VERSION)
        geometry = w.settings.value("geometry")
        state = w.settings.value("windowState")
        if isinstance(geometry, QByteArray):
            w.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            w.restoreState(state, LAYOUT_VERSION)

    def save(self) -> None:
        w = self.w
        w.settings.setValue("geometry", w.saveGeometry())
        w.settings.setValue("windowState", w.saveState(LAYOUT_VERSION))
        w.settings.sync()

    def reset(self) -> None:
        """The docks where they start, at sizes that keep the palette and inspector readable."""
        w = self.w
        if self.default_state is not None:
            w.restoreState(self.default_state, LAYOUT_VERSION)
        for dock in w.docks.docks:
            dock.show()
        w.budget_dock.raise_()
        w.inspector_dock.raise_()
        # The saved default state holds the sizes of a window not yet shown; set them for this one.
        self.default_dock_sizes()
        QTimer.singleShot(0, self, self.default_dock_sizes)
        QTimer.singleShot(0, w.fit_readable)
