"""The ``assistant`` command line: knowledge management and the checklist (一次性告知单)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.serving.settings import PathSettings
from knowledge.catalogue import BUNDLED, Catalogue, completeness
from knowledge.errors import CatalogueError
from knowledge.loader import load_catalogues
from knowledge.schema import Bundle

app = typer.Typer(help="政务助手: guidance assistant for government services.", no_args_is_help=True)
knowledge_app = typer.Typer(help="Validate, inspect, import and export the catalogue.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
index_app = typer.Typer(help="Build the retrieval index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
staff_app = typer.Typer(help="Staff accounts of the console: add, list, new password, disable.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

CatalogueOpt = Annotated[
    list[Path] | None,
    typer.Option("--catalogue", "-c", help="Add a catalogue directory (repeatable).", exists=True, file_okay=False),
]
NoBundledOpt = Annotated[bool, typer.Option("--no-bundled", help="Leave the bundled catalogue out.")]


def _refuse(exc: CatalogueError, outcome: str) -> typer.Exit:
    """Print a refused catalogue's problems (the first 50) and the outcome; the caller raises the Exit."""
    for problem in exc.problems[:50]:
        err.print(str(problem), markup=False)
    err.print(f"{len(exc.problems)} problem(s); {outcome}", markup=False)
    return typer.Exit(1)


def _load(extra: list[Path] | None, no_bundled: bool = False, additions: bool = True) -> Catalogue:
    try:
        return load_catalogues(extra or [], bundled=not no_bundled, additions=additions)
    except CatalogueError as exc:
        raise _refuse(exc, "nothing was loaded.") from None


def _entry(catalogue: Catalogue, name: str):
    entry = catalogue.get(name)
    if entry is None:
        err.print(f"no item or bundle named '{name}'; `assistant knowledge list` shows the names.", markup=False)
        raise typer.Exit(1)
    return entry


@knowledge_app.command("validate")
def validate_cmd(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Catalogue directories (default: the bundled one).")
    ] = None,
    review_max_age: Annotated[
        int | None,
        typer.Option(
            "--review-max-age",
            metavar="DAYS",
            min=1,
            help="Warn when an item's legal review is older than DAYS (default: review_max_age_days of "
            "catalogue.yaml, else 365).",
        ),
    ] = None,
) -> None:
    """Check catalogue directories; print every problem with file, line, item, field and reason.

    Warnings (a stale legal review, a text about to be repealed) are printed too; they leave the exit status 0.
    """
    from knowledge.loader import check_directories

    directories = paths or [BUNDLED]
    try:
        catalogue, warnings = check_directories(directories, review_max_age_days=review_max_age)
    except CatalogueError as exc:
        raise _refuse(exc, "nothing was loaded.") from None
    for warning in warnings:
        err.print(str(warning), markup=False)
    if warnings:
        err.print(f"{len(warnings)} warning(s); the catalogue is valid.", markup=False)
    out.print(
        f"OK: {len(catalogue.items)} items, {len(catalogue.bundles)} bundles "
        f"({', '.join(str(d) for d in directories)}), version {catalogue.version()}",
        markup=False,
    )


@knowledge_app.command("schema")
def schema_cmd(
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file instead of stdout.")] = None,
    kind: Annotated[str, typer.Option(help="item, bundle or catalogue.")] = "item",
) -> None:
    """Print the JSON Schema of an item (or bundle / catalogue.yaml) for catalogue authors."""
    from knowledge.schema import Bundle, CatalogueInfo, Item

    models = {"item": Item, "bundle": Bundle, "catalogue": CatalogueInfo}
    if kind not in models:
        err.print(f"unknown kind '{kind}'; choose one of: {', '.join(models)}", markup=False)
        raise typer.Exit(2)
    text = json.dumps(models[kind].model_json_schema(), ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


@knowledge_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
) -> None:
    """List items and bundles: name, kind, department and element completeness."""
    cat = _load(catalogue, no_bundled)
    rows = []
    for entry in cat.entries():
        is_bundle = isinstance(entry, Bundle)
        rows.append(
            {
                "id": entry.id,
                "name": entry.name,
                "kind": "bundle" if is_bundle else "item",
                "department": entry.department,
                "completeness": 1.0 if is_bundle else round(completeness(entry), 3),
                "scenario_questions": 0 if is_bundle else len(entry.scenario),
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table("name", "kind", "department", "complete", "情形")
    for row in rows:
        table.add_row(
            row["name"], row["kind"], row["department"], f"{row['completeness']:.0%}", str(row["scenario_questions"])
        )
    out.print(table)
    out.print(f"{len(cat.items)} items, {len(cat.bundles)} bundles", markup=False)


@knowledge_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="Item or bundle name, id or alias.")],
    as_json: Annotated[bool, typer.Option("--json", help="The whole guide as JSON.")] = False,
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
) -> None:
    """Show the whole service guide of an item or bundle."""
    from knowledge.render import render_guide

    cat = _load(catalogue, no_bundled)
    entry = _entry(cat, name)
    if as_json:
        sys.stdout.write(entry.model_dump_json(indent=1) + "\n")
    else:
        out.print(render_guide(entry, cat), markup=False)


@knowledge_app.command("format")
def format_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Catalogue directories or single item/bundle files (default: the bundled catalogue)."),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report files not in canonical form.")] = False,
) -> None:
    """Rewrite catalogue files in canonical YAML (the form the Excel import writes)."""
    from knowledge.loader import parse_file
    from knowledge.schema import Item
    from knowledge.yamlio import dump

    targets = paths or [BUNDLED]
    files = [p for p in targets if p.is_file()]
    directories = [p for p in targets if not p.is_file()]
    pairs = []
    if directories:
        cat = _load(directories, no_bundled=True, additions=False)  # additions.yaml stays where it is
        pairs += [(cat.sources[e.id], e) for e in cat.entries()]
        pairs += [(d / "catalogue.yaml", info) for d, info in zip(directories, cat.infos, strict=True)]
    for path in files:
        parsed, problems = parse_file(path, Bundle if path.parent.name == "bundles" else Item)
        if parsed is None:
            for problem in problems:
                err.print(str(problem), markup=False)
            raise typer.Exit(1)
        pairs.append((path, parsed.model))
    changed = []
    for path, entry in pairs:
        text = dump(entry)
        if path.read_text(encoding="utf-8") != text:
            changed.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    verb = "not canonical" if check else "reformatted"
    for path in changed:
        out.print(f"{verb}: {path}", markup=False)
    out.print(f"{len(changed)} file(s) {verb}", markup=False)
    if check and changed:
        raise typer.Exit(1)


@knowledge_app.command("export")
def export_cmd(
    xlsx: Annotated[Path, typer.Option("--xlsx", help="Workbook to write.", dir_okay=False)],
    directory: Annotated[
        Path, typer.Option("--catalogue", "-c", help="Catalogue directory to export.", file_okay=False)
    ] = BUNDLED,
) -> None:
    """Export a catalogue to an Excel workbook staff can edit (one row per item, sub-tables per list)."""
    from knowledge.excel import export_xlsx

    cat = _load([directory], no_bundled=True, additions=False)  # the files' own words: staff edit what they hold
    export_xlsx(cat, xlsx, root=directory)
    out.print(f"wrote {xlsx}: {len(cat.items)} items, {len(cat.bundles)} bundles", markup=False)


@knowledge_app.command("import")
def import_cmd(
    source: Annotated[Path | None, typer.Argument(help="Source file (for --format gd-jsonl).", dir_okay=False)] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Workbook made by `knowledge export`.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Source format: xlsx or gd-jsonl.")] = "xlsx",
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Catalogue directory to write (default for xlsx: the bundled one).")
    ] = None,
) -> None:
    """Import a catalogue from Excel or from a provincial export; it is validated before anything is written."""
    from knowledge.importers import ImportRefused, import_gd_jsonl, import_workbook

    try:
        if fmt == "gd-jsonl":
            if source is None or out_dir is None:
                err.print("--format gd-jsonl needs the source FILE and --out DIR", markup=False)
                raise typer.Exit(2)
            report = import_gd_jsonl(source, out_dir)
        elif fmt == "xlsx":
            workbook = xlsx or source
            if workbook is None:
                err.print("give the workbook with --xlsx FILE", markup=False)
                raise typer.Exit(2)
            report = import_workbook(workbook, out_dir or BUNDLED)
        else:
            err.print(f"unknown format '{fmt}'; choose xlsx or gd-jsonl", markup=False)
            raise typer.Exit(2)
    except CatalogueError as exc:
        raise _refuse(exc, "nothing was written.") from None
    except ImportRefused as exc:
        err.print(f"import refused: {exc}; nothing was written.", markup=False)
        raise typer.Exit(1) from None
    out.print(report, markup=False)


@app.command("checklist")
def checklist_cmd(
    name: Annotated[str, typer.Argument(help="Item or bundle name, id or alias.")],
    answer: Annotated[
        list[str] | None,
        typer.Option("--answer", "-a", help="QUESTION_ID=OPTION_ID (repeat, or OPTION_ID,OPTION_ID for multiple)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The notice as JSON.")] = False,
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
) -> None:
    """Print the personalised 一次性告知单 for an item or bundle and the answers given."""
    from knowledge.checklist import AnswerError, build_notice

    cat = _load(catalogue, no_bundled)
    entry = _entry(cat, name)
    answers: dict[str, list[str]] = {}
    for raw in answer or []:
        question, sep, options = raw.partition("=")
        if not sep or not question or not options:
            err.print(f"--answer '{raw}' must look like QUESTION_ID=OPTION_ID", markup=False)
            raise typer.Exit(2)
        answers.setdefault(question.strip(), []).extend(o.strip() for o in options.split(",") if o.strip())
    try:
        notice = build_notice(cat, entry.id, answers)
    except AnswerError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(notice.model_dump_json(indent=1) + "\n")
    else:
        out.print(notice.to_text(), markup=False)


def _index(catalogue: list[Path] | None, no_bundled: bool, rebuild: bool = False):
    import logging
    import warnings

    from assistant.retrieval.index import default_directories, open_index

    logging.getLogger("jieba").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="spacy")
    directories = default_directories(catalogue or [], bundled=not no_bundled)
    try:
        with err.status("loading the index…") as status:
            return open_index(
                directories,
                PathSettings().index_root,
                progress=lambda m: status.update(m) or err.print(m, markup=False),
                rebuild=rebuild,
            )
    except CatalogueError as exc:
        raise _refuse(exc, "the index was not built.") from None


@index_app.command("build")
def index_build_cmd(
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build even when an up-to-date index exists.")] = False,
) -> None:
    """Build (or reuse) the index of the catalogues: BM25, embeddings in FAISS, the spaCy pipeline."""
    index = _index(catalogue, no_bundled, rebuild)
    manifest = index.manifest
    out.print(
        f"index {index.directory}: {manifest['entries']} entries, catalogue {manifest['catalogue_version']}, "
        f"built {manifest['built_at']} in {manifest['build_seconds']} s",
        markup=False,
    )


@app.command("ask")
def ask_cmd(
    query: Annotated[str | None, typer.Argument(help="The question.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per answer.")] = False,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="File with one question per line ('-' for stdin).", allow_dash=True)
    ] = None,
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
) -> None:
    """Answer a question (or a file of questions) from the guides."""
    from assistant.qa import QuestionAnswerer

    if (query is None) == (batch is None):
        err.print("give a QUERY or --batch FILE", markup=False)
        raise typer.Exit(2)
    qa = QuestionAnswerer.from_index(_index(catalogue, no_bundled))
    if batch is None:
        answer = qa.ask(query or "")
        if as_json:
            sys.stdout.write(answer.model_dump_json() + "\n")
        else:
            out.print(answer.answer, markup=False)
        return
    source = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
    with source:
        for line in source:
            answer = qa.ask(line.rstrip("\n"))
            sys.stdout.write((answer.model_dump_json() if as_json else answer.answer.replace("\n", " ")) + "\n")
            sys.stdout.flush()


@app.command("eval")
def eval_cmd(
    path: Annotated[
        Path, typer.Argument(help="TSV: query, expected item or '-', expected element or '-'.", exists=True)
    ],
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
    baseline: Annotated[
        bool,
        typer.Option("--baseline", help="Also print the item accuracy@1 of plain BM25 over the guides' full text."),
    ] = False,
) -> None:
    """Accuracy of question answering on an evaluation file, with every failure listed."""
    from assistant.evaluation.evaluate import evaluate, read_cases
    from assistant.qa import QuestionAnswerer

    index = _index(catalogue, no_bundled)
    qa = QuestionAnswerer.from_index(index)
    try:
        report = evaluate(qa, path)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    out.print(report.text(), markup=False)
    if baseline:
        from assistant.evaluation.baseline import FullTextBaseline

        out.print(FullTextBaseline(_load(catalogue, no_bundled), index.segmenter).text(read_cases(path)), markup=False)


@app.command("train")
def train_cmd(
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Train even when the model is up to date.")] = False,
) -> None:
    """Train the Rasa dialogue model (catalogue-derived data + nlu/rasa), skipped when nothing changed."""
    from assistant.dialogue.training import DialogueTrainingError, train
    from assistant.qa import QuestionAnswerer
    from assistant.serving.knowledge import Knowledge

    index = _index(catalogue, no_bundled)
    knowledge = Knowledge(catalogue=_load(catalogue, no_bundled), index=index, qa=QuestionAnswerer.from_index(index))
    try:
        model = train(knowledge, force=force, progress=lambda m: err.print(m, markup=False))
    except DialogueTrainingError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    out.print(str(model), markup=False)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface of the application.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the application.")] = 8000,
    rasa_port: Annotated[
        int, typer.Option(help="Port of the (first) dialogue engine, always on 127.0.0.1; worker i uses PORT+i.")
    ] = 5005,
    dialogue_workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=16,
            help="Dialogue engine processes; each conversation always goes to the same one (about 1 GB each).",
        ),
    ] = 1,
    catalogue: CatalogueOpt = None,
    no_bundled: NoBundledOpt = False,
) -> None:
    """Build what is missing, start the dialogue engine and serve the web chat, WeChat, staff tool and API.

    Conversations live in a SQLite file in the data directory, or in PostgreSQL when DATABASE_URL is set; with
    REDIS_URL, several application processes and machines share their state (see README: Deployment)."""
    import logging

    from pydantic import ValidationError

    from assistant.dialogue.training import DialogueTrainingError
    from assistant.serving.serve import serve

    logging.getLogger("jieba").setLevel(logging.ERROR)
    try:
        serve(
            host,
            port,
            catalogues=catalogue,
            bundled=not no_bundled,
            rasa_port=rasa_port,
            dialogue_workers=dialogue_workers,
            progress=lambda m: err.print(m, markup=False),
        )
    except CatalogueError as exc:
        raise _refuse(exc, "nothing was started.") from None
    except ValidationError as exc:  # a setting of the environment (DATABASE_URL, LOG_RETENTION_DAYS …)
        err.print(f"{exc}\nnothing was started: correct the environment variable named above.", markup=False)
        raise typer.Exit(2) from None
    except DialogueTrainingError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


@app.command("retention")
def retention_cmd(
    days: Annotated[
        int | None, typer.Option(min=1, help="Keep this many days (default: CONVERSATION_RETENTION_DAYS, 180).")
    ] = None,
) -> None:
    """Delete the conversations (the dialogue's events; chat messages, handoffs and ratings) older than the retention
    period, and audit entries older than LOG_RETENTION_DAYS, now (`assistant serve` does it every 6 h)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.console.db import console_database_url
    from assistant.serving.retention import enforce_retention, prune_console, tracker_database_url
    from assistant.serving.settings import RetentionSettings, StoreSettings

    try:
        stores = StoreSettings()
        retention = RetentionSettings()
        days = days or retention.conversation_days
        log_days = retention.log_days
    except ValidationError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    where = "PostgreSQL (DATABASE_URL)" if stores.database_url else str(PathSettings().rasa_root / "tracker.db")
    try:
        deleted = enforce_retention(tracker_database_url(PathSettings().data_dir, stores.database_url), days)
    except SQLAlchemyError as exc:
        err.print(f"could not reach the conversations in {where}: {exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"{deleted} events older than {days} days deleted from {where}", markup=False)
    try:
        pruned = prune_console(console_database_url(PathSettings().data_dir, stores.database_url), days, log_days)
    except SQLAlchemyError as exc:
        err.print(f"could not reach the application's database: {exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"application database: {pruned} deleted (audit log kept {log_days} days)", markup=False)


# --- staff accounts ----------------------------------------------------------------------------------------------

UserArg = Annotated[str, typer.Argument(help="The user name (2-64 letters, digits, '.', '_' or '-').")]


def _console_db():
    """The application's database, as the server opens it (ASSISTANT_DATA_DIR, DATABASE_URL)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.console.db import Database, console_database_url
    from assistant.serving.settings import StoreSettings

    try:
        url = console_database_url(PathSettings().data_dir, StoreSettings().database_url)
    except ValidationError as exc:
        err.print(f"{exc}\ncorrect the environment variable named above.", markup=False)
        raise typer.Exit(2) from None
    try:
        return Database.open(url)
    except SQLAlchemyError as exc:
        err.print(f"could not open the application's database: {exc}", markup=False)
        raise typer.Exit(1) from None


def _read_password() -> str:
    """The password: typed twice without echo at a terminal, else the first line of standard input (a secrets file:
    ``assistant staff add admin --role admin < admin.pw``)."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _account_change(change) -> None:
    from assistant.console.staff import AccountError

    db = _console_db()
    try:
        change(db)
    except AccountError as exc:
        err.print(f"refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    finally:
        db.close()


@staff_app.command("add")
def staff_add_cmd(
    username: UserArg,
    role: Annotated[
        str,
        typer.Option(
            "--role", help="clerk (handoffs, lookups), editor (+ queue, analytics, audit) or admin (+ accounts)."
        ),
    ],
) -> None:
    """Create an account; its password (at least 10 characters) is read from standard input."""
    from assistant.console.staff import add_user

    password = _read_password()
    _account_change(lambda db: add_user(db, username, role, password))
    out.print(f"{username} added as {role}", markup=False)


@staff_app.command("list")
def staff_list_cmd() -> None:
    """Every account: name, role, whether it is locked or disabled, when it was created."""
    from assistant.console.models import utcnow
    from assistant.console.staff import list_users

    db = _console_db()
    try:
        users = list_users(db)
    finally:
        db.close()
    now = utcnow()
    out.print(f"{'name':<24} {'role':<7} {'state':<28} created (UTC)", markup=False)
    for user in users:
        if user.disabled:
            state = "disabled"
        elif user.locked_until is not None and user.locked_until > now:
            state = f"locked until {user.locked_until:%Y-%m-%d %H:%M}"
        else:
            state = "active"
        out.print(f"{user.username:<24} {user.role:<7} {state:<28} {user.created_at:%Y-%m-%d %H:%M}", markup=False)
    out.print(f"{len(users)} account(s)", markup=False)


@staff_app.command("passwd")
def staff_passwd_cmd(username: UserArg) -> None:
    """Set a new password (read from standard input); it also lifts a lock-out and ends the account's sessions."""
    from assistant.console.staff import set_password

    password = _read_password()
    _account_change(lambda db: set_password(db, username, password))
    out.print(f"new password set for {username}", markup=False)


@staff_app.command("disable")
def staff_disable_cmd(username: UserArg) -> None:
    """Disable an account (someone who left): it cannot log in and its sessions end; the audit log keeps its name."""
    from assistant.console.staff import set_disabled

    _account_change(lambda db: set_disabled(db, username, True))
    out.print(f"{username} disabled", markup=False)


@staff_app.command("enable")
def staff_enable_cmd(username: UserArg) -> None:
    """Enable a disabled account again (this also lifts a lock-out)."""
    from assistant.console.staff import set_disabled

    _account_change(lambda db: set_disabled(db, username, False))
    out.print(f"{username} enabled", markup=False)


def main() -> None:
    """Entry point for ``python -m assistant``."""
    app()
