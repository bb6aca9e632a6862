"""Messages of the operations, translated for a person on the web and plain for the CLI."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def _(message: str, **variables) -> str:
    """``gettext`` while serving a request; the English text (formatted) anywhere else.

    The operations run in the CLI and the worker too, where there is no visitor and so no
    language to choose; Babel's extraction still finds every message through the name ``_``.
    """
    if has_request_context():
        return gettext(message, **variables)
    return message % variables if variables else message
