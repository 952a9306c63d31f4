"""The web app: a Gradio page for people and JSON routes for programs, on one FastAPI app.

``create_app(assistant)`` builds everything and starts nothing; ``serve(assistant)``
runs it with uvicorn. Gradio is imported inside the builders so that importing this
module stays cheap and the analytics switch set by ``serve`` is seen before import.

Routes: ``/`` the page; ``POST /api/ask``, ``POST /api/check``, ``GET /api/docs``;
Gradio endpoints ``/ask``, ``/check`` (and an undocumented ``/noop`` for benchmarks)
for ``gradio_client``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from assistant import display
from assistant.errors import AssistantError
from assistant.language.question import FOLLOW_UP_TURNS
from assistant.web import render, uploads
from assistant.web.api import add_routes, parse_as_of, parse_history
from assistant.web.same_origin import SameOriginOnly
from assistant.web.service import Service

if TYPE_CHECKING:
    import gradio as gr

    from assistant.core import Assistant

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)
# Examples for the seed articles; shown only over an index that answers them all.
EXAMPLES = (
    "What did Lee tell NHK?",
    "Where did Takaichi host Lee?",
    "Who is Benoit Hardy-Chartrand?",
    "What triggered the row between Japan and China?",
)
CLAIM_EXAMPLES = (  # one per verdict over the seeds: supported, contradicted, not in the sources
    "Mr Lee said in an interview with Japanese public broadcaster NHK aired on Jan 12 that it "
    "was not his place to “intervene or get involved” in the Japan-China row.",
    "The summit took place in Tokyo.",
    "The Eiffel Tower is in Paris.",
)
PANEL_EMPTY = (
    '<div class="source-label">Source</div><div class="source-scroll"><div class="source-body">'
    '<p class="muted">Click a citation such as [1] to read the cited sentence in its article.</p>'
    "</div></div>"
)


# ---------------------------------------------------------------------------- Gradio page


def _refusal(endpoint: str, exc: AssistantError) -> Exception:
    """The client's error for bad input: one line in the server log, not a traceback."""
    import gradio as gr

    log.info("/%s refused: %s", endpoint, exc)
    return gr.Error(str(exc), print_exception=False)


def _api_functions(service: Service) -> None:
    """The endpoints for gradio_client: same JSON as the HTTP routes."""
    import gradio as gr

    def ask(question: str, history: list[Any] | None = None, as_of: str | None = None) -> dict[str, Any]:
        """Answer a question from the sources; history holds earlier questions; time words
        ('this week') are counted from as_of, YYYY-MM-DD (today when empty)."""
        try:
            return service.ask(question, parse_history(history), as_of=parse_as_of(as_of)).to_dict()
        except AssistantError as exc:
            raise _refusal("ask", exc) from None

    def check(claim: str) -> dict[str, Any]:
        """Check a claim against each source."""
        try:
            return service.check(claim).to_dict()
        except AssistantError as exc:
            raise _refusal("check", exc) from None

    def noop(question: str) -> dict[str, Any]:
        """Does nothing: the cost of a Gradio round trip, for benchmarks."""
        return {"question": question}

    gr.api(ask, api_name="ask")
    gr.api(check, api_name="check")
    gr.api(noop, api_name="noop", api_visibility="undocumented")


def _ask_tab(service: Service, examples_fit: bool) -> None:
    import gradio as gr

    turns = gr.State([])  # rendered turns, oldest first
    questions = gr.State([])  # questions answered so far: the history of follow-ups
    pending = gr.State("")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            transcript = gr.HTML(render.render_transcript([]), elem_id="transcript", js_on_load=None)
            with gr.Row():
                box = gr.Textbox(
                    placeholder="Ask about the articles…",
                    show_label=False,
                    scale=5,
                    max_lines=4,
                    elem_id="question",
                    autofocus=True,
                )
                ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            with gr.Row():
                as_of = gr.Textbox(
                    label="As of (YYYY-MM-DD)",
                    placeholder="today",
                    info="'this week', 'on Tuesday' and 'When will …' are counted from this day; empty: "
                    "today, or the newest article's date when every article is older than the time asked about.",
                    max_lines=1,
                    elem_id="as-of",
                )
            with gr.Row():
                shown = EXAMPLES if examples_fit else ()
                examples = [gr.Button(e, size="sm", variant="secondary") for e in shown]
            clear = gr.Button("New conversation", size="sm", variant="secondary")
        with gr.Column(scale=2, elem_id="source-column"):
            panel = gr.HTML(PANEL_EMPTY, elem_id="source-panel", js_on_load=None)

    def take(question: str, done: list[str]) -> tuple[str, str, str]:
        question = (question or "").strip()
        if not question:
            return "", "", gr.skip()
        waiting = (
            '<section class="turn pending"><div class="question"><span class="who">You</span>'
            f'<p>{render.esc(question)}</p></div><p class="muted">Reading the sources…</p></section>'
        )
        return question, "", render.render_transcript([*done, waiting])

    def answer(question: str, done: list[str], asked: list[str], day: str | None = None) -> tuple[Any, ...]:
        if not question:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            result = service.ask(question, asked, as_of=(day or "").strip() or None)
        except AssistantError as exc:
            done = [*done, render.render_error(question, str(exc))]
            return render.render_transcript(done), done, asked
        turn = render.render_turn(len(done) + 1, question, result, service.cited_sources(result))
        done = [*done, turn]
        return render.render_transcript(done), done, [*asked, question][-FOLLOW_UP_TURNS:]

    show_last = "() => window.assistantShowLatestTurn && window.assistantShowLatestTurn()"
    open_first = "() => window.assistantOpenLatestCitation && window.assistantOpenLatestCitation()"
    private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    triggers: list[tuple[Any, list[Any]]] = [(box.submit, [box]), (ask_button.click, [box])]
    triggers += [(b.click, [gr.State(e)]) for b, e in zip(examples, shown, strict=True)]
    for trigger, source in triggers:
        # The question shows at once as a pending turn; the answer replaces it.
        trigger(take, [*source, turns], [pending, box, transcript], queue=False, **private).then(
            None, js=show_last, **private
        ).then(answer, [pending, turns, questions, as_of], [transcript, turns, questions], **private).then(
            None, js=open_first, **private
        )
    clear.click(
        lambda: (render.render_transcript([]), [], [], PANEL_EMPTY),
        None,
        [transcript, turns, questions, panel],
        queue=False,
        **private,
    )


def _check_tab(service: Service, examples_fit: bool) -> None:
    import gradio as gr

    gr.HTML(render.check_help(), js_on_load=None)
    claim = gr.Textbox(label="Claim", placeholder="Paste a sentence to check against the sources", lines=2)
    with gr.Row():
        go = gr.Button("Check", variant="primary", elem_id="check")
    if examples_fit:
        gr.Examples([[c] for c in CLAIM_EXAMPLES], inputs=[claim], label="Try")
    result = gr.HTML("", elem_id="check-result", js_on_load=None)

    def run(text: str) -> str:
        try:
            result = service.check(text)
            return render.render_check(result, service.checked_sources(result))
        except AssistantError as exc:
            return f'<p class="error-text">{render.esc(str(exc))}</p>'

    for trigger in (go.click, claim.submit):
        trigger(run, [claim], [result], api_visibility="private")


def _sources_tab(service: Service, demo: gr.Blocks) -> None:
    import gradio as gr
    from gradio import utils as gradio_utils

    table = gr.HTML("", js_on_load=None)
    with gr.Row():
        pick = gr.Dropdown(label="Open an article", choices=[], scale=4)
        reload = gr.Button("Reload list", size="sm", scale=1)
    view = gr.HTML("", elem_id="source-view", js_on_load=None)  # the opened article, above the upload form
    gr.Markdown(
        "Muted text is boilerplate (captions, promotions, page furniture): shown, never cited. "
        "Articles added with `assistant add` in a terminal show up here too (Reload list).",
        elem_id="sources-manage",
    )
    with gr.Row():
        files = gr.File(
            label="Add articles (.txt, .md, .html, .pdf)",
            file_count="multiple",
            file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".pdf"],
            scale=4,
        )
        with gr.Column(scale=1):
            add = gr.Button("Add to index", variant="primary", elem_id="add-articles")
            stop = gr.Button("Cancel the add", size="sm", variant="secondary", elem_id="cancel-add")
            drop = gr.Button("Remove the open article", variant="stop", elem_id="remove-article")
    status = gr.HTML("", elem_id="sources-status", js_on_load=None)

    def listing() -> tuple[str, Any]:
        docs = service.documents()
        choices = [(f"{display.title(d.title)} ({display.plain(d.doc_id)})", d.doc_id) for d in docs]
        return render.render_documents(docs), gr.Dropdown(choices=choices, value=None)

    def show(doc_id: str | None) -> str:
        return service.source(doc_id) if doc_id else ""

    def upload(uploaded: list[Any] | None, progress: Any = gr.Progress()) -> tuple[str, Any]:  # noqa: B008 (Gradio's idiom)
        if not uploaded:
            return '<p class="error-text">Choose one or more files first.</p>', gr.skip()
        upload_dir = Path(gradio_utils.get_upload_folder())
        paths, refused = uploads.screen(uploaded, upload_dir)
        uploads.sweep(upload_dir)  # what earlier pages uploaded and never added

        def report(stage: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=f"{stage}: {done} of {total}")

        try:
            # Gradio keeps an upload under its own name in a folder per content: that name is the user's.
            return service.add(paths, progress=report, names={p: p.name for p in paths}, refused=refused), None
        except AssistantError as exc:
            return f'<p class="error-text">{render.esc(str(exc))}</p>', None
        finally:
            uploads.discard(paths, upload_dir)  # added or refused, the temporary copy has served

    def remove(doc_id: str | None) -> str:
        if not doc_id:
            return '<p class="error-text">Open an article first, then remove it.</p>'
        try:
            return service.remove(doc_id)
        except AssistantError as exc:
            return f'<p class="error-text">{render.esc(str(exc))}</p>'

    def cancel() -> str:
        if service.cancel_add():
            return '<p class="muted">Cancelling the add…</p>'
        return '<p class="muted">No add is running.</p>'

    stop.click(cancel, None, [status], queue=False, api_visibility="private")
    demo.load(listing, None, [table, pick], api_visibility="private")
    reload.click(listing, None, [table, pick], api_visibility="private")
    pick.change(show, [pick], [view], api_visibility="private")
    add.click(upload, [files], [status, files], api_visibility="private").then(
        listing, None, [table, pick], api_visibility="private"
    )
    drop.click(remove, [pick], [status], api_visibility="private").then(
        listing, None, [table, pick], api_visibility="private"
    ).then(lambda: "", None, [view], api_visibility="private")


def _examples_fit(service: Service) -> bool:
    """Whether the example questions suit this index: it answers every one of them."""
    try:
        return all(service.ask(q).found for q in EXAMPLES)
    except AssistantError:
        return False


def build_blocks(service: Service) -> gr.Blocks:
    """The page: Ask, Check a claim, Sources."""
    import gradio as gr

    fit = _examples_fit(service)
    with gr.Blocks(title="News sources assistant", analytics_enabled=False) as demo:
        gr.Markdown(
            "# News sources assistant\nAnswers quoted sentence by sentence from the indexed "
            "articles, each with its citation. Nothing leaves this machine.",
            elem_id="app-title",
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                _ask_tab(service, fit)
            with gr.Tab("Check a claim", id="check"):
                _check_tab(service, fit)
            with gr.Tab("Sources", id="sources"):
                _sources_tab(service, demo)
        _api_functions(service)
    return demo


def theme() -> Any:
    """The default look with system fonts: no font is fetched from anywhere."""
    import gradio as gr

    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )


def create_app(assistant: Assistant, allowed_hosts: Sequence[str] = ()) -> FastAPI:
    """The FastAPI app: JSON routes under /api and the Gradio page at /. Starts nothing.

    Requests are answered only for the local names and ``allowed_hosts`` (see same_origin)."""
    import gradio as gr

    service = Service(assistant)
    app = FastAPI(title="News sources assistant", docs_url=None, redoc_url=None)
    app.add_middleware(SameOriginOnly, allowed_hosts=allowed_hosts)
    add_routes(app, service)
    blocks = build_blocks(service)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        max_file_size=assistant.config.max_file_bytes,  # refused while uploading, not after
        footer_links=["api"],
        theme=theme(),
        css=(STATIC / "app.css").read_text(encoding="utf-8"),
        js=(STATIC / "app.js").read_text(encoding="utf-8"),
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
    )
    # Gradio checks that a file given to an event lies in its upload folder (before copying
    # it into its cache, where it would be served) only for an app that has "launched";
    # mount_gradio_app never sets that, so this app says it: any other path is refused.
    blocks.has_launched = True
    _sweep_uploads()
    return app


def _sweep_uploads(every_s: float = 60.0) -> None:
    """Delete stale uploads now and every ``every_s`` seconds, in a daemon thread."""
    import threading

    from gradio import utils as gradio_utils

    folder = Path(gradio_utils.get_upload_folder())

    def loop() -> None:
        while True:
            try:
                uploads.sweep(folder)
            except Exception as exc:  # a sweep that fails must not stop the next one
                log.warning("sweeping the upload folder failed: %s", type(exc).__name__)
            stop.wait(every_s)

    stop = threading.Event()
    threading.Thread(target=loop, name="upload-sweeper", daemon=True).start()


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, allowed_hosts: Sequence[str] = ()) -> None:
    """Serve the app until interrupted, printing its URL. The bound address is an allowed
    host name; so are ``allowed_hosts`` (a LAN name the app is opened under)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # an upload folder of the app's own, which its sweeper may empty (Gradio's default is shared)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(assistant.config.cache_dir) / "uploads"))
    import uvicorn

    app = create_app(assistant, allowed_hosts=[host, *allowed_hosts])
    print(f"Serving the assistant on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
