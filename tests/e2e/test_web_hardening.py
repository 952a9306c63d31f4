"""The second security round against a real server: DNS rebinding, unbounded inputs, writes
that block readers, dates at the calendar's ends, forged log lines and leftover uploads."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web_fixtures import docs_folder, embedder, running

pytestmark = pytest.mark.slow

LAN_NAME = "news.lan"


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    root: Path
    upload_dir: Path
    assistant: Any


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from assistant import Assistant, Config
    from assistant.web.app import create_app

    root = tmp_path_factory.mktemp("web_hardening")
    upload_dir = root / "gradio-uploads"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(upload_dir))
        config = Config(docs_dir=docs_folder(root), index_dir=root / "index")
        assistant = Assistant.open(config, embedder=embedder())
        with running(create_app(assistant, allowed_hosts=[LAN_NAME])) as url:
            yield Server(url, int(url.rsplit(":", 1)[1].strip("/")), root, upload_dir, assistant)


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


def gradio_call(http: httpx.Client, api_name: str, data: list[Any] | str) -> tuple[int, str]:
    """Call a Gradio API endpoint as gradio_client does: the status of the POST and, when it
    was accepted, the text of the event stream that answers it."""
    body = data if isinstance(data, str) else json.dumps({"data": data})
    posted = http.post(f"gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"})
    if posted.status_code != 200:
        return posted.status_code, posted.text
    event = posted.json()["event_id"]
    with http.stream("GET", f"gradio_api/call/{api_name}/{event}") as sse:
        return 200, "".join(sse.iter_text())


# ------------------------------------------------------------------------ DNS rebinding


def rebinding(port: int) -> dict[str, str]:
    return {"host": f"evil.example:{port}", "origin": f"http://evil.example:{port}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("GET", "config"), ("POST", "api/ask"), ("GET", "api/docs"), ("POST", "gradio_api/queue/join")],
)
def test_a_rebound_name_is_refused_on_every_route(server: Server, http: httpx.Client, method: str, path: str) -> None:
    body = {"question": "What did Lee tell NHK?"} if method == "POST" else None
    response = http.request(method, path, json=body, headers=rebinding(server.port))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "unknown_host"
    assert "access-control-allow-origin" not in response.headers


def test_a_rebound_preflight_gets_no_cors_header(server: Server, http: httpx.Client) -> None:
    headers = {**rebinding(server.port), "access-control-request-method": "POST"}
    response = http.options("gradio_api/queue/join", headers=headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_a_rebound_name_without_origin_is_refused_too(server: Server, http: httpx.Client) -> None:
    assert http.get("api/docs", headers={"host": f"evil.example:{server.port}"}).status_code == 403


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", LAN_NAME])
def test_the_served_names_are_answered(server: Server, http: httpx.Client, name: str) -> None:
    headers = {"host": f"{name}:{server.port}", "origin": f"http://{name}:{server.port}"}
    response = http.post("api/ask", json={"question": "What did Lee tell NHK?"}, headers=headers)
    assert response.status_code == 200 and response.json()["found"]


def test_an_allowed_name_with_a_foreign_origin_is_refused(server: Server, http: httpx.Client) -> None:
    headers = {"host": f"127.0.0.1:{server.port}", "origin": f"http://{LAN_NAME}:{server.port}"}
    assert http.get("api/docs", headers=headers).status_code == 403


# ------------------------------------------------------------------------ bounded inputs


def test_a_two_megabyte_history_through_gradio_is_refused_at_once(http: httpx.Client) -> None:
    started = time.monotonic()
    status, text = gradio_call(http, "ask", ["When?", ["x" * 2_000_000], None])
    assert time.monotonic() - started < 5
    assert status == 413 and "body_too_large" in text


def test_a_long_history_entry_through_gradio_is_one_clear_error(http: httpx.Client) -> None:
    started = time.monotonic()
    status, text = gradio_call(http, "ask", ["When?", ["What did Lee say? " * 500], None])
    assert time.monotonic() - started < 5
    assert status == 200 and "event: error" in text and "limit is 2,000" in text


def test_too_many_history_turns_are_one_clear_error(http: httpx.Client) -> None:
    status, text = gradio_call(http, "ask", ["When?", ["What did Lee say?"] * 500, None])
    assert status == 200 and "event: error" in text and "at most 50" in text
    response = http.post("api/ask", json={"question": "When?", "history": ["What did Lee say?"] * 500})
    assert response.status_code == 422 and "at most 50" in response.json()["error"]["message"]


def test_a_follow_up_reads_only_the_last_turns(http: httpx.Client) -> None:
    history = ["Who is Benoit Hardy-Chartrand?"] + ["What triggered the row between Japan and China?"] * 3
    answer = http.post("api/ask", json={"question": "What did he say?", "history": history}).json()
    assert "Hardy-Chartrand" not in answer.get("resolved_question", "")


def test_a_lone_surrogate_is_refused_by_gradio_without_a_traceback(http: httpx.Client, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    status, text = gradio_call(http, "ask", '{"data": ["What did Lee \\ud800 say?", [], null]}')
    assert status == 200 and "event: error" in text and "not valid text" in text
    assert "Traceback" not in caplog.text
    status, text = gradio_call(http, "check", '{"data": ["Lee \\udfff met Takaichi"]}')
    assert status == 200 and "not valid text" in text


def test_an_oversized_claim_is_refused(http: httpx.Client) -> None:
    status, text = gradio_call(http, "check", ["Lee met Takaichi in Nara. " * 200])
    assert status == 200 and "event: error" in text and "too long" in text


# ------------------------------------------------------------------------ dates at the ends


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize(
    "question",
    ["What happened this week?", "What did Lee say yesterday?", "What happens next week?", "When will they meet?"],
)
def test_the_calendars_ends_answer_through_the_api(http: httpx.Client, day: str, question: str) -> None:
    response = http.post("api/ask", json={"question": question, "as_of": day})
    assert response.status_code == 200, response.text
    assert "found" in response.json()


def test_the_calendars_end_through_gradio(http: httpx.Client) -> None:
    status, text = gradio_call(http, "ask", ["What happens next week?", [], "9999-12-31"])
    assert status == 200 and "event: complete" in text


def _cli(*args: str, stdin: str | None = None, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    argv = [sys.executable, "-m", "assistant", *args, "--docs", str(root / "docs"), "--index", str(root / "index")]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=600, env=env)


def test_the_calendars_end_through_the_cli_and_a_batch(server: Server) -> None:
    one = _cli("ask", "--as-of", "9999-12-31", "What happened this week?", root=server.root)
    assert one.returncode == 0, one.stderr
    assert "Traceback" not in one.stderr
    lines = [
        json.dumps({"question": "What happens next week?", "as_of": "9999-12-31"}),
        json.dumps({"question": "What happened yesterday?", "as_of": "0001-01-01"}),
        json.dumps({"question": "What did Lee tell NHK?", "as_of": "10000-01-01"}),
        "What did Lee tell NHK?",
    ]
    batch = _cli("ask", "--jsonl", stdin="\n".join(lines) + "\n", root=server.root)
    assert batch.returncode == 0, batch.stderr
    out = [json.loads(line) for line in batch.stdout.splitlines()]
    assert len(out) == 4
    assert "error" not in out[0] and "error" not in out[1]
    assert "YYYY-MM-DD" in out[2]["error"]
    assert out[3]["found"]


# ------------------------------------------------------------------------ readers and a writer


def test_questions_are_answered_while_a_large_article_is_added(server: Server, http: httpx.Client) -> None:
    from assistant.web.service import Service

    big = server.root / "big.txt"
    sentence = "The harbour board in Varna counted {n} container ships in its yearly report on trade. "
    big.write_text("Varna harbour\n\n" + "".join(sentence.format(n=n) for n in range(25_000)), encoding="utf-8")
    service = Service(server.assistant)
    writer = threading.Thread(target=service.add, args=([big],))
    writer.start()
    try:
        time.sleep(2)  # the add is under way: loading, segmenting, embedding 25,000 sentences
        assert writer.is_alive()
        started = time.monotonic()
        answer = service.ask("What did Lee tell NHK?")
        took = time.monotonic() - started
        assert answer.found and took < 5, took
        assert writer.is_alive(), "the add ended before the question was answered: nothing was measured"
    finally:
        writer.join(timeout=900)
    assert "big.txt" in {d.doc_id for d in service.documents()}
    server.assistant.remove("big.txt")


def test_a_large_add_can_be_cancelled_and_leaves_nothing(server: Server) -> None:
    from assistant.errors import Cancelled
    from assistant.web.service import Service

    big = server.root / "cancelled.txt"
    sentence = "The port of Burgas counted {n} bulk carriers in its yearly report on trade. "
    big.write_text("Burgas port\n\n" + "".join(sentence.format(n=n) for n in range(25_000)), encoding="utf-8")
    service = Service(server.assistant)
    before = {d.doc_id for d in service.documents()}
    outcome: list[object] = []

    def add() -> None:
        try:
            outcome.append(service.add([big]))
        except Cancelled as exc:
            outcome.append(exc)

    writer = threading.Thread(target=add)
    writer.start()
    time.sleep(2)
    assert service.cancel_add()
    writer.join(timeout=300)
    assert not writer.is_alive() and len(outcome) == 1
    assert isinstance(outcome[0], Cancelled), outcome
    assert {d.doc_id for d in service.documents()} == before
    assert not (server.assistant.config.docs_dir / big.name).exists()
    assert not service.cancel_add()  # nothing running any more


# ------------------------------------------------------------------------ the rest


def test_a_forged_log_line_is_escaped(server: Server, http: httpx.Client, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="assistant.web.same_origin")
    http.get("api/docs%0aINFO%20forged%1b[31m", headers={"host": "evil.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "assistant.web.same_origin"]
    assert lines and all("\n" not in line and "\x1b" not in line for line in lines)
    assert any("\\n" in line for line in lines)


def test_api_docs_gives_no_server_paths(server: Server, http: httpx.Client) -> None:
    listed = http.get("api/docs").json()["documents"]
    assert listed and all("file" not in d and "source" not in d for d in listed)
    assert str(server.root) not in json.dumps(listed)
    assert {"published", "published_from", "published_inferred"} <= set(listed[0])


def test_leftover_uploads_are_swept(tmp_path: Path) -> None:
    from assistant.web import uploads

    old, fresh = tmp_path / "a" / "old.txt", tmp_path / "b" / "fresh.txt"
    for path in (old, fresh):
        path.parent.mkdir()
        path.write_text("an upload never added", encoding="utf-8")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert uploads.sweep(tmp_path, max_age_s=600) == 1
    assert not old.exists() and not old.parent.exists() and fresh.exists()
    big = tmp_path / "c" / "big.txt"
    big.parent.mkdir()
    big.write_bytes(b"x" * 5000)
    assert uploads.sweep(tmp_path, max_age_s=600, max_bytes=5010) == 1  # the oldest goes first
    assert not fresh.exists() and big.exists()


def test_a_hard_link_in_the_upload_folder_is_refused(tmp_path: Path) -> None:
    from assistant.web import uploads

    outside = tmp_path / "secret.txt"
    outside.write_text("The vault code is 4-8-15.", encoding="utf-8")
    folder = tmp_path / "uploads" / "x"
    folder.mkdir(parents=True)
    os.link(outside, folder / "planted.txt")
    (folder / "honest.txt").write_text("An article.", encoding="utf-8")
    taken, refused = uploads.screen([str(folder / "planted.txt"), str(folder / "honest.txt")], tmp_path / "uploads")
    assert taken == [folder / "honest.txt"]
    assert [r.path for r in refused] == ["planted.txt"]
