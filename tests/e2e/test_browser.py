"""The page in headless Chromium: ask, click a citation, see the sentence; offline; safe.

Needs Chromium at /usr/bin/chromium (``make chromium``); it is never downloaded. The
screenshot goes to tmp_path, and to docs/screenshot.png when UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.web_fixtures import HOSTILE_NAME, HOSTILE_QUESTION, HOSTILE_SENTENCE, IMG, SCRIPT, serve_tmp

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LEE = "What did Lee tell NHK?"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve_tmp(tmp_path_factory.mktemp("web_browser")) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run 'make chromium' (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served):
    """A fresh page on the app; afterwards, checks that it only ever talked to the server."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT)  # an upload or an add under load takes more than 5 s
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(served.url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()
    assert dialogs == [], f"a dialog fired: {dialogs}"
    hosts = {urlparse(u).hostname for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"the page requested other hosts: {sorted(hosts)}"


def _ask(page, question: str) -> None:
    turns = page.locator("#transcript .turn:not(.pending)").count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.locator("#transcript .turn:not(.pending)").nth(turns).wait_for()


def _chip(page, n: int):
    return page.locator("#transcript .turn").last.locator(f".answer p .cite-chip[data-cite='{n}']").first


def _api_answer(served, question: str) -> dict:
    response = httpx.post(served.url + "api/ask", json={"question": question}, timeout=60)
    response.raise_for_status()
    return response.json()


def test_citation_click_shows_the_cited_sentence(page, served, tmp_path):
    from playwright.sync_api import expect

    _ask(page, LEE)
    expected = _api_answer(served, LEE)
    assert expected["found"] and len(expected["citations"]) >= 2
    by_id = {c["id"]: c for c in expected["citations"]}
    active = page.locator("#source-panel mark.cite-active")

    _chip(page, 2).click()
    expect(active).to_have_count(1)
    assert active.text_content() == by_id[2]["text"]

    _chip(page, 1).click()
    expect(active).to_have_count(1)
    assert active.text_content() == by_id[1]["text"]
    assert (int(active.get_attribute("data-start")), int(active.get_attribute("data-end"))) == (
        by_id[1]["start"],
        by_id[1]["end"],
    )
    expect(active).to_be_in_viewport(ratio=0.99)
    expect(page.locator("#source-panel .source-head h3")).to_have_text(by_id[1]["title"])
    # the other sentences of the same answer cited in this article are marked in a second style
    others = {c["text"] for c in expected["citations"] if c["doc_id"] == by_id[1]["doc_id"] and c["id"] != 1}
    marked = set(page.locator("#source-panel mark.cite:not(.cite-active)").all_text_contents())
    assert others <= marked

    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_the_answer_words_are_marked_in_the_answer_and_in_the_source(page, served):
    """The reader's answer words are bold in the answer and at their offsets in the article."""
    from playwright.sync_api import expect

    question = "Where did the leaders meet?"
    _ask(page, question)
    expected = _api_answer(served, question)
    words = expected["answer_span"]
    assert words is not None and words["text"] == "Gyeongju"
    reply = page.locator("#transcript .turn").last
    expect(reply.locator(".answer strong.answer-words")).to_have_text(words["text"])
    _chip(page, words["citation"]).click()
    marked = page.locator("#source-panel mark.cite-active strong.answer-words")
    expect(marked).to_have_text(words["text"])
    assert (int(marked.get_attribute("data-start")), int(marked.get_attribute("data-end"))) == (
        words["start"],
        words["end"],
    )


def test_an_answer_the_reader_is_unsure_of_says_so(page, served):
    """The page shows the unsure note exactly when the answer is flagged: a question the
    seeds touch on but do not answer (what was served at the dinner) is flagged when the
    manifest has an unsure band (the shipped one has none: no band was right half the time
    on validation); a sure answer never is."""
    from playwright.sync_api import expect

    question = "What was served at the dinner?"
    expected = _api_answer(served, question)
    _ask(page, question)
    note = page.locator("#transcript .turn").last.locator(".answer .unsure-note")
    if expected["found"] and expected["unsure"]:
        expect(note).to_be_visible()
        expect(note).to_contain_text("The reader is unsure")
    else:
        expect(note).to_have_count(0)
    _ask(page, "Where did the leaders meet?")
    expect(page.locator("#transcript .turn").last.locator(".answer")).to_be_visible()
    expect(page.locator("#transcript .turn").last.locator(".unsure-note")).to_have_count(0)


def test_not_found_says_so(page):
    _ask(page, "What is the capital of Peru?")
    reply = page.locator("#transcript .turn").last
    assert "The sources don't say." in reply.locator(".not-found-text").text_content()
    assert "Closest passages (not an answer)" in reply.text_content()
    assert reply.locator(".cite-chip").count() == 0


def test_hostile_article_renders_as_text(page, served):
    from playwright.sync_api import expect

    _ask(page, HOSTILE_QUESTION)
    expected = _api_answer(served, HOSTILE_QUESTION)
    assert expected["citations"][0]["text"] == HOSTILE_SENTENCE
    _chip(page, 1).click()
    active = page.locator("#source-panel mark.cite-active")
    expect(active).to_have_text(HOSTILE_SENTENCE)
    panel = page.locator("#source-panel .source-text")
    assert SCRIPT in panel.text_content() and IMG in panel.text_content()
    assert page.locator("#source-panel img, #source-panel script, #transcript img").count() == 0

    page.get_by_role("tab", name="Sources").click()
    page.get_by_label("Open an article").click()
    page.get_by_role("option", name=HOSTILE_NAME).click()
    view = page.locator("#source-view .source-text")
    expect(view).to_contain_text(SCRIPT)
    expect(view).to_contain_text(IMG)
    assert page.locator("#source-view img").count() == 0


def test_check_a_claim_tab(page):
    page.get_by_role("tab", name="Check a claim").click()
    page.get_by_label("Claim").fill("The Eiffel Tower is in Paris.")
    page.locator("#check").click()
    page.wait_for_selector("#check-result .verdict-banner")
    assert page.locator("#check-result .verdict-banner").text_content() == "not in the sources"
    assert "only the indexed articles" in page.locator(".check-help").text_content()


def test_upload_in_the_sources_tab_adds_the_article_under_its_own_name(page, served, tmp_path):
    from playwright.sync_api import expect

    article = tmp_path / "otters.txt"
    article.write_text("Otters in Nara\n\nA family of otters was seen swimming in the Saho River in Nara.\n")
    page.get_by_role("tab", name="Sources").click()
    page.locator("input[type=file]").set_input_files(str(article))
    # the uploaded file's row: its name cell (Gradio sets the stem and the extension apart,
    # 'otters .txt' as text, so the cell is found by its accessible name)
    expect(page.get_by_role("cell", name="otters.txt")).to_be_visible()
    page.locator("#add-articles").click()
    status = page.locator("#sources-status")
    expect(status).to_contain_text("Added 1, updated 0, skipped 0, refused 0.")
    expect(status.locator("li")).to_have_text("added otters.txt")  # the user's name, not a temporary path
    assert "otters.txt" in {d["doc_id"] for d in httpx.get(served.url + "api/docs").json()["documents"]}


def test_an_index_on_the_embedded_store_served_without_update_answers_in_the_page(browser, tmp_path):
    """As ``assistant serve --store embedded`` then ``serve --no-update`` would: the passage
    vectors in the embedded store, the index opened as it is, a citation shown in its article."""
    from playwright.sync_api import expect

    from assistant import Assistant, Config
    from assistant.web.app import create_app
    from tests.web_fixtures import docs_folder, embedder, running

    docs = docs_folder(tmp_path)
    Assistant.open(Config(docs_dir=docs, index_dir=tmp_path / "index", store="embedded"), embedder=embedder())
    (docs / "late.md").write_text("# Late\n\nThe late article is not read without an update.\n", encoding="utf-8")
    opened = Assistant.open(Config(docs_dir=docs, index_dir=tmp_path / "index"), embedder=embedder(), update=False)
    assert opened._state.data.passage_store.startswith("embedded:")
    with running(create_app(opened)) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        expect.set_options(timeout=TIMEOUT)  # an upload or an add under load takes more than 5 s
        page.goto(url)
        page.wait_for_selector("#question textarea")
        _ask(page, LEE)
        response = httpx.post(url + "api/ask", json={"question": LEE}, timeout=60)
        expected = {c["id"]: c for c in response.json()["citations"]}
        assert expected and "NHK" in " ".join(c["text"] for c in expected.values())
        _chip(page, 1).click()
        active = page.locator("#source-panel mark.cite-active")
        expect(active).to_have_count(1)
        assert active.text_content() == expected[1]["text"]
        listed = {d["doc_id"] for d in httpx.get(url + "api/docs", timeout=60).json()["documents"]}
        assert "late.md" not in listed and len(listed) == 3
        context.close()
