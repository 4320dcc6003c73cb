"""What a network failure may say of a Bot API call, once the bot's token is out of it."""

from __future__ import annotations

import re

_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")


def network_failure(failed: BaseException) -> str:
    """The failure's type and message, with the token of any Bot API address in it hidden
    (an address is `<server>/bot<token>/<method>`: a message that quotes it would carry the
    token into the logs)."""
    return _TOKEN_IN_URL.sub("/bot…/", f"{type(failed).__name__}: {failed}")
