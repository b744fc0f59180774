"""The generated Rasa project says the reply file's sentences with the catalogue's contacts, and a changed reply
or contact changes its fingerprint (so `assistant train` retrains)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from assistant.dialogue.training import PROJECT_SOURCE, fingerprint, generate_project
from assistant.replies import Replies
from knowledge.catalogue import Catalogue
from knowledge.schema import Contacts

CITY = Contacts(hotline="96196", hotline_name="示例城市服务热线", service_centre="示例城市市民中心")


def knowledge(catalogue: Catalogue, replies: Replies) -> SimpleNamespace:
    """What project generation reads of the knowledge: the catalogue, the normaliser's words and the replies."""
    return SimpleNamespace(
        catalogue=catalogue,
        index=SimpleNamespace(normaliser=SimpleNamespace(vocabulary={"结婚登记", "护照"})),
        qa=SimpleNamespace(replies=replies),
    )


@pytest.fixture
def project(tmp_path: Path, bundled: Catalogue):
    def generate(replies: Replies, name: str) -> Path:
        return generate_project(knowledge(bundled, replies), tmp_path / name)

    return generate


def responses(project: Path) -> dict[str, str]:
    domain = yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8"))
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()}


def test_the_domain_says_the_reply_files_sentences_with_the_catalogues_contacts(project, bundled) -> None:
    said = responses(project(Replies.load(CITY), "city"))
    assert set(said) == {"utter_greet", "utter_thank", "utter_goodbye", "utter_deny", "utter_default"}
    assert said["utter_default"] == "抱歉，我没有理解。您可以换个说法，或说“转人工”联系 96196 热线。"
    assert said["utter_greet"].startswith(f"您好！我是{bundled.infos[0].region}政务服务智能助手。")
    # the hand-written domain has no sentences of its own
    assert "responses" not in yaml.safe_load((PROJECT_SOURCE / "domain.yml").read_text(encoding="utf-8"))


def test_a_changed_contact_or_reply_changes_the_fingerprint(project) -> None:
    national = Replies.load()
    base = fingerprint(project(national, "a"))
    assert fingerprint(project(Replies.load(), "same")) == base
    assert fingerprint(project(Replies.load(CITY), "city")) != base
    reworded = Replies({**national.texts, "utter_goodbye": "再见！"}, national.contacts)
    assert fingerprint(project(reworded, "reworded")) != base
