"""The ``assistant`` command: a thin adapter over ``Assistant``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from assistant.config import Config
from assistant.errors import AssistantError

_DOCS = click.option(
    "--docs",
    "docs",
    type=click.Path(path_type=Path),
    default=Path("seeds"),
    show_default=True,
    envvar="ASSISTANT_DOCS",
    help="Folder of articles (.txt, .md, .html, .pdf).",
)
_INDEX = click.option(
    "--index",
    "index",
    type=click.Path(path_type=Path),
    default=Path("index"),
    show_default=True,
    envvar="ASSISTANT_INDEX",
    help="Folder of the built index.",
)
_MODEL = click.option(
    "--model",
    default=None,
    envvar="ASSISTANT_MODEL",
    help="A local sentence-transformers model folder (default: packaged all-MiniLM-L6-v2).",
)

_NO_UPDATE = click.option(
    "--no-update",
    "no_update",
    is_flag=True,
    help="Answer from the index as it is, without looking for new or changed files in --docs "
    "(opens a large archive in constant time).",
)

_STORE = click.option(
    "--store",
    default=None,
    envvar="ASSISTANT_STORE",
    expose_value=False,
    callback=lambda ctx, _param, value: ctx.meta.__setitem__("store", value),
    help="Where passage vectors are searched: 'embedded' (on-disk HNSW in the index folder), "
    "embedded:PATH, qdrant://HOST:6333[/collection] or qdrant+local:PATH (default: the index's own files).",
)


def _offline() -> None:
    # Read at the edge: nothing may reach a model hub at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # transformers reads these when it is first imported, if ever (the ONNX path needs it
    # not: importing it here only to quiet it cost 0.6 s a command)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


DEFAULT_LIBRARY = Path("library")  # git-ignored: what a user adds beside the shipped seeds


def _config(docs: Path, index: Path, model: str | None, **extra: Any) -> Config:
    context = click.get_current_context(silent=True)
    store = context.meta.get("store") if context is not None else None
    return Config(docs_dir=docs, index_dir=index, model=model, store=store, library_dir=_library(docs), **extra)


def _library(docs: Path) -> Path | None:
    """Where added articles are copied: $ASSISTANT_LIBRARY ('' for the docs folder itself);
    by default ``library/`` beside the default ``seeds/``, which thus stays as shipped, and
    the docs folder itself for any other --docs."""
    configured = os.environ.get("ASSISTANT_LIBRARY")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    return DEFAULT_LIBRARY if docs == Path("seeds") else None


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the core's errors into one clear line on stderr and a non-zero exit."""
    try:
        yield
    except AssistantError as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        raise click.Abort() from None


class _Bars:
    """tqdm progress bars per stage (files, sentences), on stderr."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total,
                desc=f"{stage:>9}",
                unit=stage[:-1] if stage.endswith("s") else stage,
                file=sys.stderr,
                leave=True,
            )
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


def _open(config: Config, *, quiet: bool = False, update: bool = True):  # type: ignore[no-untyped-def]
    from assistant.core import Assistant

    bars = _Bars(enabled=not quiet and sys.stderr.isatty())
    notify = None if quiet else (lambda message: click.echo(message, err=True))
    try:
        assistant = Assistant.open(config, progress=bars, notify=notify, update=update)
    finally:
        bars.close()
    _report_skipped(assistant.last_report)
    return assistant


def _report_skipped(report) -> None:  # type: ignore[no-untyped-def]
    for error in report.errors:
        click.echo(f"skipped {error}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 160, "terminal_width": 160})
@click.version_option(package_name="news-assistant")
def cli() -> None:
    """Ask questions of news articles; every statement of an answer is a cited passage."""


@cli.command()
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option("--rebuild", is_flag=True, help="Discard the index and build it again.")
@click.option(
    "--compact",
    is_flag=True,
    help="Merge the segments that added articles made into one (they are merged a few at a time anyway); "
    "segments an earlier version wrote get their sentences' saved terms and features first.",
)
def index(docs: Path, index: Path, model: str | None, rebuild: bool, compact: bool) -> None:
    """Build the index, or bring it up to date with the docs folder."""
    _offline()
    with _errors():
        from assistant.core import Assistant

        bars = _Bars(enabled=True)
        try:
            assistant = Assistant.open(
                _config(docs, index, model), progress=bars, notify=lambda m: click.echo(m, err=True), rebuild=rebuild
            )
        finally:
            bars.close()
        report = assistant.last_report
        _report_skipped(report)
        if compact:
            merged = assistant.compact(notify=lambda m: click.echo(m, err=True))
            click.echo(f"{merged} segments merged into one." if merged else "One segment: nothing to merge.", err=True)
        docs_n = len(assistant.documents())
        click.echo(
            f"Index at {index}: {docs_n} documents "
            f"({len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
            f"{report.sentences_embedded} sentences embedded)."
        )


@cli.command()
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--jsonl", is_flag=True, help="Batch: one question per line on stdin, one JSON answer per line.")
@click.option("-k", "k", type=click.IntRange(1, 50), default=5, show_default=True, help="Passages listed.")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="YYYY-MM-DD",
    help="The day time words ('this week', 'on Tuesday') are counted from (default: today).",
)
@_NO_UPDATE
@click.argument("question", required=False)
def ask(
    docs: Path,
    index: Path,
    model: str | None,
    as_json: bool,
    jsonl: bool,
    k: int,
    as_of: str | None,
    no_update: bool,
    question: str | None,
) -> None:
    """Answer QUESTION from the articles, with citations."""
    _offline()
    with _errors():
        from assistant.search.timeframe import as_of_day

        day = as_of_day(as_of)  # a bad date fails before the model loads
        if jsonl:
            assistant = _open(_config(docs, index, model, k=k), update=not no_update)
            _ask_lines(assistant, k, day)
            return
        if question is None:
            raise click.UsageError("Give a QUESTION, or --jsonl to read questions from stdin.")
        from assistant.core import validate_question

        validate_question(question)  # a bad question fails before the model loads
        assistant = _open(_config(docs, index, model, k=k), update=not no_update)
        answer = assistant.ask(question, k=k, as_of=day)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo(_plain(answer))


def _ask_lines(assistant, k: int, as_of) -> None:  # type: ignore[no-untyped-def]
    """One JSON answer per input line; a bad line gets an error object, not an exit.

    A line starting with '{' is a JSON object {"question", "as_of", "history"} (as_of
    and history optional); any other line is a question, asked as of ``as_of``.
    """
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        question, history, day = line, list[object](), as_of
        if line.lstrip().startswith("{"):
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            if isinstance(item, dict):
                question, history = item.get("question", ""), item.get("history") or []
                day = item.get("as_of") or as_of
        try:
            out = assistant.ask(question, history, k=k, as_of=day).to_dict()
        except AssistantError as error:
            out = {"question": question, "error": str(error)}
        except Exception as error:  # one line that breaks something costs that line, not the batch
            out = {"question": question, "error": f"this question could not be answered ({type(error).__name__})"}
        _json_line(out)


def _json_line(out: dict) -> None:
    """One JSON object on its own line of stdout, flushed (a batch's answer). A lone
    surrogate in the question or claim cannot be written out: it is shown escaped."""
    data = json.dumps(out, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8")
    sys.stdout.write(data + "\n")
    sys.stdout.flush()


def _plain(answer) -> str:  # type: ignore[no-untyped-def]
    from assistant.answer.compose import UNSURE, YES_NO

    notes = [n for n in (answer.as_of_note, answer.time_note) if n]
    lines = (
        notes + ([f"[unsure] {UNSURE}"] if answer.unsure else []) + ([YES_NO[answer.yes_no]] if answer.yes_no else [])
    )
    lines += [answer.answer, ""]
    if answer.citations:
        for c in answer.citations:
            page = f", p. {c.page}" if c.page else ""
            when = f", published {c.published}{' (inferred)' if c.published_inferred else ''}" if c.published else ""
            told = "".join(f"; {d.text} = {d.label}" for d in c.dates if d.label)
            lines.append(f"[{c.id}] {c.title} ({c.doc_id}{page}, chars {c.start}-{c.end}{when}){told}")
    else:
        lines.append("Closest passages:")
        for p in answer.passages:
            lines.append(f"- {p.title} ({p.doc_id}, chars {p.start}-{p.end}): {p.text[:200]}")
    return "\n".join(lines)


@cli.command()
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option("--jsonl", is_flag=True, help="Batch: one claim per line on stdin, one JSON verdict per line.")
@_NO_UPDATE
@click.argument("claim", required=False)
def check(
    docs: Path, index: Path, model: str | None, as_json: bool, jsonl: bool, no_update: bool, claim: str | None
) -> None:
    """Check CLAIM against the articles: supported, contradicted, disputed or not in the sources."""
    _offline()
    with _errors():
        if not jsonl and claim is None:
            raise click.UsageError("Give a CLAIM, or --jsonl to read claims from stdin.")
        assistant = _open(_config(docs, index, model), update=not no_update, quiet=as_json or jsonl)
        if jsonl:
            for line in sys.stdin:
                if not line.strip():
                    continue
                text = line.rstrip("\n")
                try:
                    out = assistant.check(text).to_dict()
                except AssistantError as error:
                    out = {"claim": text, "error": str(error)}
                _json_line(out)
            return
        result = assistant.check(claim)
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        click.echo(f"{result.label.capitalize()}.")
        for src in result.sources:
            click.echo(f"- {src.title} ({src.doc_id}): {src.label}")
            if src.evidence is not None:
                click.echo(f"  chars {src.evidence.start}-{src.evidence.end}: {src.evidence.text}")
            if src.conflict is not None:
                click.echo(f"  the claim says “{src.conflict.claim.text}”, the source “{src.conflict.source.text}”")


# an add shares the machine with the questions being answered meanwhile (the web app,
# another reader of the same index): it runs at a lower CPU priority, so that a question
# waits less for the cores while articles are embedded
ADD_NICENESS = 10


def yield_to_questions() -> None:
    """Lower this process's CPU priority by ``ADD_NICENESS`` where the system allows it."""
    try:
        os.nice(ADD_NICENESS)
    except (AttributeError, OSError):  # no nice() (Windows), or not permitted: run as is
        pass


@cli.command()
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option(
    "--max-file-mb",
    type=click.FloatRange(0.001, 2048),
    default=20.0,
    show_default=True,
    help="Refuse files larger than this.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
def add(docs: Path, index: Path, model: str | None, max_file_mb: float, paths: tuple[Path, ...]) -> None:
    """Copy articles (files or folders, recursively) into the library (or docs folder) and index them.

    It runs at a lower CPU priority (nice +10), so that questions answered meanwhile keep
    their speed."""
    _offline()
    yield_to_questions()
    with _errors():
        config = _config(docs, index, model, max_file_bytes=int(max_file_mb * 1024 * 1024))
        from assistant.index import store

        # an index there is opened as it is: the add looks at its own files only, so adding
        # to an archive costs what the articles cost ('assistant index' takes up the rest)
        assistant = _open(config, update=store.current_generation(config.index_dir) is None)
        bars = _Bars(enabled=sys.stderr.isatty())  # off a terminal, the per-file lines tell the progress
        try:
            report = assistant.add(list(paths), progress=bars, notify=lambda m: click.echo(m, err=True))
        finally:
            bars.close()
        for outcome in report.files:  # one line per file: added, updated, skipped or refused with the reason
            click.echo(str(outcome), err=True)
        click.echo(
            f"Added {len(report.added)}, updated {len(report.updated)}, skipped {len(report.skipped)}, "
            f"refused {len(report.errors)}; {assistant.document_count()} documents in the index."
        )
        if report.errors and not (report.added or report.updated or report.skipped):
            sys.exit(1)


@cli.command()
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.argument("doc_id")
def remove(docs: Path, index: Path, model: str | None, doc_id: str) -> None:
    """Take DOC_ID out of the index: a library copy is deleted, a docs-folder file is left and ignored."""
    _offline()
    with _errors():
        assistant = _open(_config(docs, index, model))
        doc = assistant.remove(doc_id)
        click.echo(f"Removed {doc.doc_id} ({doc.title}); {len(assistant.documents())} documents left.")


@cli.command(name="docs")
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def docs_(docs: Path, index: Path, model: str | None, as_json: bool) -> None:
    """List the indexed documents."""
    _offline()
    with _errors():
        assistant = _open(_config(docs, index, model), quiet=as_json)
        rows = [{"id": d.doc_id, **d.record(paths=True)} for d in assistant.documents()]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = [("ID", "FORMAT", "SENTENCES", "PUBLISHED", "ADDED", "TITLE")]
        for r in rows:
            published = f"{r['published']}{' (inferred)' if r['published_inferred'] else ''}" if r["published"] else "-"
            added = str(r["added_at"])[:10]
            table.append((str(r["id"]), str(r["format"]), str(r["sentences"]), published, added, str(r["title"])))
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        for row in table:
            click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True)) + "  " + row[5])


@cli.command(name="eval")
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Gold questions (tests/data/gold_seeds.jsonl) or squad2-dev questions.jsonl.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--no-as-of", "no_as_of", is_flag=True, help="Ask every question as of today, ignoring its 'as_of'.")
def eval_(docs: Path, index: Path, model: str | None, questions: Path, as_json: bool, no_as_of: bool) -> None:
    """Measure answer quality on a file of questions."""
    _offline()
    from assistant.answer import evaluate

    with _errors():
        every = evaluate.load_questions(questions)
        items = evaluate.for_docs(every, docs)
        if len(items) < len(every):
            click.echo(f"{len(items)} of {len(every)} questions are over {docs}; the others are left out.", err=True)
        assistant = _open(_config(docs, index, model))
        kind = evaluate.detect_kind(items)
        if kind == "gold":
            result = evaluate.evaluate_gold(
                items, lambda q, h, as_of=None: assistant.ask(q, h, as_of=as_of), use_as_of=not no_as_of
            )
        else:
            result = evaluate.evaluate_squad(items, lambda q, h, as_of=None: assistant.ask(q, h, as_of=as_of))
        click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else evaluate.format_report(result))


@cli.command()
@_DOCS
@_INDEX
@_MODEL
@_STORE
@click.option("--host", default="127.0.0.1", show_default=True, envvar="ASSISTANT_HOST", help="Address to bind.")
@click.option("--port", default=7860, show_default=True, type=int, envvar="ASSISTANT_PORT")
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A further host name the page may be opened under (a LAN name or address); repeatable. "
    "127.0.0.1, localhost, [::1] and --host are always allowed, every other Host is refused.",
)
@_NO_UPDATE
def serve(
    docs: Path, index: Path, model: str | None, host: str, port: int, allowed_hosts: tuple[str, ...], no_update: bool
) -> None:
    """Start the web app (chat, source highlighting, claim checking, API)."""
    _offline()
    with _errors():
        assistant = _open(_config(docs, index, model), update=not no_update)
        from assistant.web import app as web

        web.serve(assistant, host=host, port=port, allowed_hosts=allowed_hosts)


def main() -> None:
    cli(prog_name="assistant")


if __name__ == "__main__":
    main()
