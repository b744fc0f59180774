"""Web conversation ids, issued and signed by the server: a client cannot choose another person's conversation.

The web chat's sender id names a conversation in the dialogue engine (and so its tracker, a half-answered
checklist included). A client-chosen id would let anyone continue anyone's conversation, a WeChat follower's
(``wx:<openid>``) among them. So the server issues the ids: ``w.<random>.<signature>``, 24 characters of 18
random bytes and 22 of an HMAC-SHA256 over ``w.<random>`` (truncated to 16 bytes), both urlsafe base64 without
padding; 49 characters in all, within the chat's ``^[\\w:.@-]+$`` pattern. Only an id this secret signed
continues a conversation: anything else (no id, a forged or tampered one, a WeChat id, an id an earlier widget
made up, an id signed with another secret) gets a new id and a fresh conversation. Every application node that
serves the chat must share the secret (``CHAT_SECRET``); changing it starts every web conversation afresh.

Example:
    >>> ids = SenderIds("dev-chat-secret")
    >>> issued = ids.issue()
    >>> issued.startswith("w.") and len(issued) == 49
    True
    >>> ids.verify(issued), ids.verify(issued[:-1] + ("A" if issued[-1] != "A" else "B"))
    (True, False)
    >>> SenderIds("another-secret").verify(issued), ids.verify("wx:oAbCdEf123"), ids.verify(None)
    (False, False, False)
    >>> ids.continued(issued) == issued, ids.continued("web-1f2e3d") != "web-1f2e3d"
    (True, True)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "w"  # never a prefix of the WeChat channel's "wx:" ids: the separator is a dot
RANDOM_BYTES = 18  # 144 bits: nobody guesses another person's id
SIGNATURE_BYTES = 16  # HMAC-SHA256 truncated to 128 bits
_DOMAIN = b"zwzs web sender id\x00"  # the same secret signing something else never signs an id
_RANDOM_CHARS = len(base64.urlsafe_b64encode(bytes(RANDOM_BYTES)))  # 24: a multiple of 3 bytes, no padding
_SIGNATURE_CHARS = len(base64.urlsafe_b64encode(bytes(SIGNATURE_BYTES)).rstrip(b"="))  # 22


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SenderIds:
    """Issue and verify the web chat's sender ids with one secret.

    Args:
        secret: the signing key (``CHAT_SECRET``), the same on every application node.
    """

    def __init__(self, secret: str):
        self._key = secret.encode("utf-8")

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest[:SIGNATURE_BYTES])

    def issue(self) -> str:
        """A new sender id, signed: ``w.<random>.<signature>``."""
        body = f"{PREFIX}.{_b64(secrets.token_bytes(RANDOM_BYTES))}"
        return f"{body}.{self._sign(body)}"

    def verify(self, sender_id: str | None) -> bool:
        """Whether ``sender_id`` is an id this secret issued (compared in constant time)."""
        if not isinstance(sender_id, str) or not sender_id.isascii():
            return False
        parts = sender_id.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            return False
        _, random_part, signature = parts
        if len(random_part) != _RANDOM_CHARS or len(signature) != _SIGNATURE_CHARS:
            return False
        return hmac.compare_digest(self._sign(f"{PREFIX}.{random_part}"), signature)

    def continued(self, sender_id: str | None) -> str:
        """The id a conversation goes on under: ``sender_id`` when this secret issued it, a new one otherwise."""
        return sender_id if sender_id is not None and self.verify(sender_id) else self.issue()
