"""Whether the visitor asks to save data: the "Save data" switch's cookie, else the browser's
``Save-Data: on`` header (sent by Chrome's Lite mode and by data-saving phone settings).

The listening page then names the small rendition first (Opus audio, 360p video), so that
the browser fetches it without waiting for a script. The answer shapes the page: the page
cache keys on it and the page says ``Vary: Save-Data``.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

#: The cookie the switch sets (data-saver.js): "on" or "off"; absent, the header decides.
COOKIE = "save-data"


def preference() -> str:
    """ "on", "off" (the visitor's own choice) or "" (none: the header, if any, decides)."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in ("on", "off") else ""


def saves_data() -> bool:
    """Whether this request should get the small renditions first."""
    chosen = preference()
    if chosen:
        return chosen == "on"
    return request.headers.get("Save-Data", "").strip().lower() == "on"


def human_size(size: int, locale: str) -> str:
    """``size`` bytes as a few localized digits and a unit: "4.2 MB", "٤٫٢ MB"... (decimal units)."""
    from babel.numbers import format_decimal

    units = ((_("GB"), 10**9), (_("MB"), 10**6), (_("kB"), 10**3))
    for unit, scale in units:
        if size >= scale:
            value = size / scale
            pattern = "#,##0" if value >= 100 else "#,##0.#"
            return f"{format_decimal(value, format=pattern, locale=locale)} {unit}"
    return f"{format_decimal(size, locale=locale)} {_('bytes')}"
