"""The assistant's own sentences, from one keyed file (``replies.yaml``), with the deployment's contacts filled in.

What a guide says is quoted from the guide; everything else the assistant says (greetings, refusals, prompts,
the human channel) is a reply of this file, so a city changes its words without touching code, and its
hotline and service centre come from its own catalogue (``contacts`` in ``catalogue.yaml``).

Example:
    >>> replies = Replies.load(Contacts(hotline="12345", hotline_name="政务服务便民热线"))
    >>> replies("which_of_two", first="居民身份证补领", second="居民身份证换领")
    '请问您要办理的是“居民身份证补领”还是“居民身份证换领”？'
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path

import yaml

from knowledge.schema import Contacts

REPLIES = Path(__file__).with_name("replies.yaml")
# what a catalogue that names no contacts of its own (an import) is answered with: the national hotline
NATIONAL = Contacts(hotline="12345", hotline_name="政务服务便民热线", service_centre="当地政务服务中心窗口")


class Replies:
    """The reply texts of a deployment.

    Args:
        texts: key -> text with ``{placeholders}``.
        contacts: the deployment's human channel.
    """

    def __init__(self, texts: Mapping[str, str], contacts: Contacts):
        self.texts = dict(texts)
        self.contacts = contacts
        hours = f"（{contacts.hotline_hours}）" if contacts.hotline_hours else ""
        self._contact_values = {**contacts.model_dump(), "hours": hours}

    @classmethod
    def load(cls, contacts: Contacts | None = None, path: Path = REPLIES) -> Replies:
        """Read the reply file, to speak with ``contacts`` (:data:`NATIONAL` when None).

        Raises:
            ValueError: a reply is not text, or names a placeholder that is neither a contact nor a context value
                (a ``{`` typed by mistake): the message names the key.
        """
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, text in data.items():
            if not isinstance(text, str):
                raise ValueError(f"{path}: reply {key!r} must be text, not {type(text).__name__}")
            try:
                list(string.Formatter().parse(text))
            except ValueError as exc:
                raise ValueError(f"{path}: reply {key!r} has a malformed placeholder ({exc})") from None
        return cls(data, contacts or NATIONAL)

    def __call__(self, key: str, **values: object) -> str:
        """The reply ``key`` with the contacts and ``values`` filled in.

        Raises:
            KeyError: no reply has that key, or the reply needs a value that was not given.
        """
        if key not in self.texts:
            raise KeyError(f"no reply {key!r} in {REPLIES.name}; add it there")
        return self.texts[key].format(**self._contact_values, **values)
