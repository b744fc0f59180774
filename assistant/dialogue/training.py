"""Training the Rasa dialogue model: generate the catalogue-derived training data, then run ``rasa train`` in
Rasa's own virtual environment, only when something changed.

The hand-written part of the Rasa project lives in ``nlu/rasa`` (config, domain, rules, generic intent
examples, test stories). :func:`generate_project` copies it into ``$ASSISTANT_DATA_DIR/rasa/project`` and adds:

- the domain's ``responses``: every ``utter_*`` reply of ``assistant/replies.yaml``, with the catalogue's
  contacts and region filled in (so a changed reply or contact changes the project, hence the fingerprint, and
  the model is retrained);

- ``data/catalogue.yml``: the ``item`` lookup table (names and aliases), synonyms (alias -> name), element and
  overview questions about items (from ``nlu/element_templates.yaml``), checklist requests, option labels;
- ``jieba/userdict.txt``: item names and aliases for the tokenizer (it travels inside the model archive);
- ``normaliser/vocabulary.json``: the question normaliser's domain words, the same as question answering's.

Example:
    >>> from assistant.serving.knowledge import KnowledgeHolder
    >>> model = train(KnowledgeHolder.open().current)   # doctest: +SKIP
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from assistant.replies import Replies
from assistant.serving.knowledge import Knowledge
from assistant.serving.settings import PathSettings
from nlu import sampling
from nlu.elements import TEMPLATES

REPO = Path(__file__).resolve().parents[2]
PROJECT_SOURCE = REPO / "nlu" / "rasa"
RASA_LOCK = REPO / "requirements-rasa.lock"
MODEL_NAME = "dialogue"
SEED = 13
# inputs that change the trained model besides the generated project
CODE = [REPO / "nlu" / "rasa_components.py", REPO / "nlu" / "normalize.py", REPO / "nlu" / "lexicon.yaml", RASA_LOCK]

RESPONSE_PREFIX = "utter_"  # a reply whose key starts with this is a response of the Rasa domain
# NLU training data (what people type to ask for a checklist), not replies
CHECKLIST_TEMPLATES = [
    "帮我生成{x}的材料清单",
    "{x}的一次性告知单",
    "我要办{x}，给我列个材料清单",
    "按我的情况生成{x}的清单",
    "{x}材料清单帮我列一下",
    "给我{x}的告知单",
    "{x}的材料清单",
    "{x}清单",
    "生成{x}的一次性告知单",
    "{x}要准备的材料列个清单",
]
PER_TEMPLATE = 3  # item names per overview and checklist template: enough variety, a training run of minutes
_NAMES_A_CHECKLIST = re.compile("清单|告知单")  # a question template that is a checklist request
OPTION_EXAMPLES = 300  # option labels and synonyms sampled for choose_option (the form matches options itself)


class DialogueTrainingError(RuntimeError):
    """``rasa train`` failed or Rasa's environment is missing; the message says what to do."""


def rasa_venv() -> Path:
    """Rasa's virtual environment: ``$ASSISTANT_RASA_VENV`` or ``.rasa-venv`` in the repository."""
    return Path(os.environ.get("ASSISTANT_RASA_VENV", REPO / ".rasa-venv"))


def rasa_executable() -> Path:
    path = rasa_venv() / "bin" / "rasa"
    if not path.exists():
        raise DialogueTrainingError(f"Rasa is not installed at {path}; run `make setup` (it creates .rasa-venv)")
    return path


def rasa_env() -> dict[str, str]:
    """Environment for Rasa processes: our ``nlu`` package importable, no telemetry, quiet TensorFlow."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def _block(lines: list[str]) -> str:
    return "".join(f"- {line}\n" for line in lines)


def _clean(text: str) -> str:
    """Training text must not start a YAML list item oddly or contain newlines."""
    return " ".join(text.split()).replace("{", "（").replace("}", "）")


def catalogue_nlu(knowledge: Knowledge) -> dict:
    """The catalogue-derived part of the NLU training data, as Rasa YAML data."""
    entries = knowledge.catalogue.entries()
    names = sorted({e.name for e in entries} | {a for e in entries for a in e.aliases})
    templates = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))

    annotatable = [n for n in names if not set(n) & set("[]()")]
    base = sampling.digests(annotatable)

    def fill(patterns: list[str], per_template: int = PER_TEMPLATE) -> list[str]:
        # the name is annotated as an `item` entity: RegexEntityExtractor uses only lookup tables of annotated
        # entities, and the synonyms map an alias found to the item's name
        out: list[str] = []
        for pattern in patterns:
            if "{x}" in pattern:
                # drawn by text (nlu.sampling): an alias a city adds changes only the templates it is drawn for
                drawn = sampling.pick(annotatable, per_template, (SEED, pattern), base)
                out += [pattern.replace("{x}", f"[{name}](item)") for name in drawn]
        return out

    # one name per element template: there are hundreds of them, and ask_checklist must not drown; a template
    # that says 清单 or 告知单 is a checklist request in a conversation
    element = [
        t
        for key, patterns in templates.items()
        if key != "none"
        for t in fill([p for p in patterns if not _NAMES_A_CHECKLIST.search(p)], per_template=1)
    ]
    overview = fill(templates.get("none", []))
    checklist = fill(CHECKLIST_TEMPLATES, per_template=2 * PER_TEMPLATE)
    options: set[str] = set()
    for item in knowledge.catalogue.items.values():
        for question in item.scenario:
            for option in question.options:
                options.add(option.label)
                options.update(option.synonyms)
    # a label that is also a hand-written example of another intent ("是", "没有") stays with that intent
    hand_written = yaml.safe_load((PROJECT_SOURCE / "data" / "nlu.yml").read_text(encoding="utf-8"))
    taken = {
        line[2:].strip()
        for block in hand_written["nlu"]
        if block.get("intent") not in (None, "choose_option")
        for line in block["examples"].splitlines()
        if line.startswith("- ")
    }
    options -= taken
    options = set(sampling.pick(sorted(options), OPTION_EXAMPLES, SEED))
    nlu: list[dict] = [
        {"intent": "ask_element", "examples": _block(sorted({_clean(t) for t in element}))},
        {"intent": "ask_overview", "examples": _block(sorted({_clean(t) for t in overview}))},
        {"intent": "ask_checklist", "examples": _block(sorted({_clean(t) for t in checklist}))},
        {"intent": "choose_option", "examples": _block(sorted(_clean(o) for o in options if o.strip()))},
        {"lookup": "item", "examples": _block([_clean(n) for n in names])},
    ]
    for entry in entries:
        aliases = sorted({_clean(a) for a in entry.aliases if a != entry.name})
        if aliases:
            nlu.append({"synonym": _clean(entry.name), "examples": _block(aliases)})
    return {"version": "3.1", "nlu": nlu}


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, value: _Literal):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


def domain_responses(replies: Replies, region: str) -> dict[str, list[dict[str, str]]]:
    """The Rasa domain's responses: every ``utter_*`` reply, with the contacts and the catalogue's region."""
    return {key: [{"text": replies(key, region=region)}] for key in replies.texts if key.startswith(RESPONSE_PREFIX)}


def write_domain(knowledge: Knowledge, path: Path) -> None:
    """Add the responses to the hand-written domain at ``path`` (which has none of its own)."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    if domain.get("responses"):
        raise DialogueTrainingError(
            f"{PROJECT_SOURCE / path.name} has responses of its own; the domain's responses are the utter_* "
            "replies of assistant/replies.yaml"
        )
    domain["responses"] = domain_responses(knowledge.qa.replies, knowledge.catalogue.infos[0].region)
    path.write_text(
        "# generated by `assistant train` from nlu/rasa/domain.yml and assistant/replies.yaml; do not edit\n"
        + yaml.safe_dump(domain, allow_unicode=True, sort_keys=False, width=1000),
        encoding="utf-8",
    )


def generate_project(knowledge: Knowledge, out: Path) -> Path:
    """Write the Rasa project (hand-written part plus catalogue-derived data) into ``out``; returns ``out``."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(PROJECT_SOURCE, out)
    write_domain(knowledge, out / "domain.yml")
    data = catalogue_nlu(knowledge)
    for block in data["nlu"]:
        block["examples"] = _Literal(block["examples"])

    class Dumper(yaml.SafeDumper):  # a subclass: the representer must not leak into yaml.SafeDumper
        pass

    Dumper.add_representer(_Literal, _literal)
    (out / "data" / "catalogue.yml").write_text(
        "# generated by `assistant train` from the catalogue; do not edit\n"
        + yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=1000),
        encoding="utf-8",
    )
    entries = knowledge.catalogue.entries()
    words = sorted({e.name for e in entries} | {a for e in entries for a in e.aliases})
    (out / "jieba").mkdir()
    (out / "jieba" / "userdict.txt").write_text(
        "".join(f"{w.replace(' ', '')} 50000 n\n" for w in words if w.strip()), encoding="utf-8"
    )
    (out / "normaliser").mkdir()
    (out / "normaliser" / "vocabulary.json").write_text(
        json.dumps(sorted(knowledge.index.normaliser.vocabulary), ensure_ascii=False), encoding="utf-8"
    )
    return out


def fingerprint(project: Path) -> str:
    """A hash of everything that decides the trained model: the generated project (its domain holds the
    responses, so the replies and contacts they say), our component code, the lock."""
    digest = hashlib.sha256()
    files = sorted(p for p in project.rglob("*") if p.is_file() and "tests" not in p.relative_to(project).parts)
    for path in [*files, *CODE]:
        digest.update(str(path.relative_to(project) if path.is_relative_to(project) else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_path(root: Path | None = None) -> Path:
    """The model archive under ``root`` (default: the data directory's ``rasa``)."""
    return (root or PathSettings().rasa_root) / "models" / f"{MODEL_NAME}.tar.gz"


def train(
    knowledge: Knowledge,
    root: Path | None = None,
    *,
    force: bool = False,
    progress: Callable[[str], None] = print,
) -> Path:
    """Generate the project and train the model unless an up-to-date one exists; returns the model archive.

    Raises:
        DialogueTrainingError: Rasa is not installed, or ``rasa train`` failed (its output is shown).
    """
    root = root or PathSettings().rasa_root
    root.mkdir(parents=True, exist_ok=True)
    # one preparation at a time per data directory: a second `assistant serve` or `train` waits, then reuses
    with (root / "train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train(knowledge, root, force, progress)


def _train(knowledge: Knowledge, root: Path, force: bool, progress: Callable[[str], None]) -> Path:
    project = generate_project(knowledge, root / "project")
    model = model_path(root)
    stamp = model.parent / f"{MODEL_NAME}.fingerprint"
    key = fingerprint(project)
    if not force and model.is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        progress(f"dialogue model up to date: {model}")
        return model
    rasa = rasa_executable()
    progress("training the dialogue model with Rasa (a few minutes on 2 cores)…")
    command = [
        str(rasa),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--out",
        str(model.parent.resolve()),
        "--fixed-model-name",
        MODEL_NAME,
        "--force",
    ]
    model.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(command, cwd=project, env=rasa_env(), stdout=sys.stderr, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not model.is_file():
        raise DialogueTrainingError(
            f"`rasa train` failed (exit {result.returncode}); its output is above. Project: {project}"
        )
    stamp.write_text(key + "\n")
    progress(f"dialogue model trained: {model}")
    return model
