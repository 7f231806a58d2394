"""X11 window attributes Qt does not expose, set through libxcb (ctypes, no extra package).

`keep_contents` asks the X server to keep a window's picture while the window is covered
(backing store). Without it an X server with no compositing manager (Xvfb, a bare projector
machine) throws away what libvlc drew into a covered video surface, and raising that surface shows
black until libvlc draws again: a paused standby film waits behind the film on screen, so its
first frame would be lost. With it, raising the surface shows the kept frame at once (measured:
bench/transitions.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

XCB_CW_BACKING_STORE = 0x40
XCB_BACKING_STORE_ALWAYS = 2

_xcb = None


def _lib():
    global _xcb
    if _xcb is None:
        name = ctypes.util.find_library("xcb")
        if not name:
            return None
        lib = ctypes.CDLL(name)
        lib.xcb_connect.restype = ctypes.c_void_p
        lib.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
        lib.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
        lib.xcb_change_window_attributes_checked.restype = ctypes.c_uint  # a cookie
        lib.xcb_change_window_attributes_checked.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.POINTER(ctypes.c_uint32),
        ]
        lib.xcb_request_check.restype = ctypes.c_void_p
        lib.xcb_request_check.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.xcb_disconnect.argtypes = [ctypes.c_void_p]
        _xcb = lib
    return _xcb


def keep_contents(window_ids: list[int]) -> bool:
    """Set backing store "Always" on the X windows `window_ids` (of the display in $DISPLAY).
    Blocks for one round trip. False (and nothing changed) when X or libxcb is not there."""
    try:
        lib = _lib()
    except OSError:
        return False
    if lib is None:
        return False
    conn = lib.xcb_connect(None, None)
    try:
        if not conn or lib.xcb_connection_has_error(conn):
            return False
        ok = True
        value = (ctypes.c_uint32 * 1)(XCB_BACKING_STORE_ALWAYS)
        for window in window_ids:
            cookie = lib.xcb_change_window_attributes_checked(
                conn, window, XCB_CW_BACKING_STORE, value
            )
            error = lib.xcb_request_check(conn, cookie)
            if error:
                ctypes.CDLL(None).free(ctypes.c_void_p(error))
                ok = False
        return ok
    finally:
        if conn:
            lib.xcb_disconnect(conn)
