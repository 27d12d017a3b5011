"""The one error shopkit raises."""

from __future__ import annotations


class ShopkitError(Exception):
    """A problem with an input file, an output folder or a mail server that the person
    running the automation can fix; the message says what, where, and how."""

    autokit_expected = True  # `autokit run` shows the message without a traceback
