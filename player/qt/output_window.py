"""The projector output: black, frameless, on top, covering the chosen screen; two native video
surfaces for libvlc's two players and a title card view stacked over them.

Purely reactive: it shows the engine's `Screen` (`ShowStatus.screen`: a card at a level, a film's
surface, black, a blackout) and the intermission countdown from the status, and never decides
anything itself.

All pages of the stack are native windows so the X stacking order is the visible order: a card
drawn by Qt can cover a native video surface (a non-native widget would paint into the parent,
under the video). All pages stay mapped (StackAll) so a paused standby film keeps its first frame
behind the card and shows at once when raised.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Slot
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QPalette, QScreen
from PySide6.QtWidgets import QStackedLayout, QWidget

from player.core.cards import CardContent
from player.qt.title_card import TitleCardView
from player.show.status import Screen, Shows, ShowStatus

WINDOWED_SIZE = (960, 540)


def _black(widget: QWidget) -> None:
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("black"))
    widget.setPalette(palette)
    widget.setAutoFillBackground(True)


class VideoSurface(QWidget):
    """A native child window that libvlc draws into (`set_xwindow(int(winId()))`)."""

    def __init__(self, slot: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slot = slot
        self.setObjectName(f"video{slot}")
        self.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        _black(self)
        # Only libvlc draws here. Qt painting the surface when it is raised put black over the
        # standby film's first frame until libvlc drew again (measured 20-120 ms black per
        # film-to-film switch in bench/transitions.py; none with updates off).
        self.setUpdatesEnabled(False)

    def handle(self) -> int:
        return int(self.winId())


class OutputWindow(QWidget):
    """The projector window. `page` says what is on top: "black", "card", "video0", "video1"."""

    def __init__(
        self,
        controller=None,
        *,
        screen: QScreen | None = None,
        windowed: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Screening Night — projector")
        self.setObjectName("output")
        _black(self)
        self._windowed = windowed
        self._allow_close = False
        self._controller = None

        self._stack = QStackedLayout(self)
        self._stack.setStackingMode(QStackedLayout.StackingMode.StackAll)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self.videos = (VideoSurface(0, self), VideoSurface(1, self))
        self.card_view = TitleCardView(self)
        self.card_view.setObjectName("card")
        self.card_view.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self.card_view.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
        self.black_page = QWidget(self)
        self.black_page.setObjectName("black")
        self.black_page.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self.black_page.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
        _black(self.black_page)
        for page in (*self.videos, self.card_view, self.black_page):
            self._stack.addWidget(page)
        self._page = "black"
        self._shown: Screen | None = None  # the engine's Screen last shown
        self._apply_mode(screen)
        self.show_black()
        if controller is not None:
            self.attach(controller)

    # ----------------------------------------------------------------- placement
    def _apply_mode(self, screen: QScreen | None) -> None:
        screen = screen or QGuiApplication.primaryScreen()
        if self._windowed:
            self.setWindowFlags(Qt.WindowType.Window)
            self.unsetCursor()
            geo = screen.availableGeometry()
            w, h = WINDOWED_SIZE
            self.setGeometry(QRect(geo.x() + 40, geo.y() + 40, w, h))
        else:
            # Without a window manager showFullScreen() is ignored: the frameless hint and the
            # screen's geometry, set before show(), are what make it cover the projector.
            self.setWindowFlags(
                Qt.WindowType.Window
                | Qt.WindowType.FramelessWindowHint
                | Qt.WindowType.WindowStaysOnTopHint
            )
            self.setCursor(Qt.CursorShape.BlankCursor)
            for page in (*self.videos, self.card_view, self.black_page):
                page.setCursor(Qt.CursorShape.BlankCursor)
            self.setGeometry(screen.geometry())
        self.create()
        if self.windowHandle() is not None:
            self.windowHandle().setScreen(screen)
        self._screen = screen

    def move_to_screen(self, screen: QScreen, *, windowed: bool | None = None) -> None:
        """Cover `screen` (or sit on it in a normal window); keeps what is shown. Changing the
        window flags re-creates native windows, so the controller gets the surfaces again."""
        visible = self.isVisible()
        if windowed is not None:
            self._windowed = windowed
        self.hide()
        self._apply_mode(screen)
        if visible:
            self.show()
        if self._controller is not None:
            self._controller.set_video_windows(self.video_handles())

    @property
    def windowed(self) -> bool:
        return self._windowed

    @property
    def target_screen(self) -> QScreen:
        return self._screen

    # ----------------------------------------------------------------- controller
    def attach(self, controller) -> None:
        """Follow `controller`'s status and give it the two native video surfaces."""
        self._controller = controller
        controller.status_changed.connect(self.show_status)
        controller.set_video_windows(self.video_handles())

    def video_handles(self) -> tuple[int, int]:
        return (self.videos[0].handle(), self.videos[1].handle())

    # ----------------------------------------------------------------- what is shown
    @property
    def page(self) -> str:
        return self._page

    def _raise(self, widget: QWidget, name: str) -> None:
        self._stack.setCurrentWidget(widget)
        widget.raise_()
        self._page = name

    @Slot(object)
    def show_card(self, content: CardContent) -> None:
        self.card_view.set_content(content)
        self.card_view.repaint()  # drawn before it is raised: never a half-drawn card
        self._raise(self.card_view, "card")

    @Slot(int)
    def show_video(self, slot: int) -> None:
        self._raise(self.videos[slot], f"video{slot}")

    @Slot()
    def show_black(self) -> None:
        self._raise(self.black_page, "black")

    @Slot(object)
    def show_status(self, status: ShowStatus) -> None:
        """Show the engine's `Screen`; an intermission's countdown follows `remaining_ms`."""
        self.show_screen(status.screen)
        if status.remaining_ms is not None:
            self.card_view.set_remaining_ms(int(status.remaining_ms))

    def show_screen(self, screen: Screen) -> None:
        last, self._shown = self._shown, screen
        if last == screen:
            return
        if screen.visible is Shows.CARD and screen.card is not None:
            if last is None or last.visible is not Shows.CARD or last.card != screen.card:
                self.show_card(screen.card)
            self.card_view.set_level(screen.level)
        elif screen.visible is Shows.VIDEO and screen.slot is not None:
            self.show_video(screen.slot)
        else:
            self.show_black()

    # ----------------------------------------------------------------- closing
    def allow_close(self) -> None:
        self._allow_close = True

    def closeEvent(self, event: QCloseEvent) -> None:
        # The projector window closes with the console, never on its own in mid-show.
        if self._allow_close:
            event.accept()
        else:
            event.ignore()
