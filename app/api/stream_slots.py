"""How many run streams each client address holds open: one client cannot take every
socket the server can serve."""

from __future__ import annotations

from collections import Counter

TRY_AGAIN_LATER = 1013  # the websocket close code for a server that is busy


class StreamSlots:
    """Open streams per client address, used on the event loop only. An address is
    forgotten when its last stream closes, so the count stays as small as what is open."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._open: Counter[str] = Counter()

    def take(self, client: str) -> bool:
        """One more stream for `client`; False (and nothing taken) when it holds its most."""
        if self._open[client] >= self.per_client:  # a Counter adds no key on reading
            return False
        self._open[client] += 1
        return True

    def give_back(self, client: str) -> None:
        self._open[client] -= 1
        if self._open[client] <= 0:
            del self._open[client]

    def held(self, client: str) -> int:
        """The streams `client` holds open now."""
        return self._open.get(client, 0)

    def refusal(self) -> str:
        """The close reason a client over its bound is sent (a close reason is at most 123
        bytes)."""
        return f"too many streams from this address: at most {self.per_client} at once"
