"""The web app's programmatic faces against a real server: gradio_client and plain HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.web.api import MAX_BODY_BYTES
from tests.web_fixtures import HOSTILE_NAME, HOSTILE_QUESTION, HOSTILE_SENTENCE, serve_tmp

pytestmark = pytest.mark.slow

LEE = "What did Lee tell NHK?"
OUTSIDE = "What is the capital of Peru?"
VERBATIM = (
    "Mr Lee said in an interview with Japanese public broadcaster NHK aired on Jan 12 that it "
    "was not his place to “intervene or get involved” in the Japan-China row."
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve_tmp(tmp_path_factory.mktemp("web_api")) as served:
        yield served


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(served.url, verbose=False)


@pytest.fixture(scope="module")
def http(served):
    with httpx.Client(base_url=served.url, timeout=60) as http:
        yield http


def _json(answer) -> dict:
    """The answer as JSON would carry it (tuples become lists)."""
    return json.loads(json.dumps(answer.to_dict()))


def _assert_checkable(answer: dict) -> None:
    """Every citation's text is its file sliced at its offsets."""
    for c in answer["citations"]:
        text = Path(c["file"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["text"]


def test_ask_via_gradio_client_returns_the_answer_json(served, client):
    result = client.predict(LEE, api_name="/ask")
    assert result == _json(served.assistant.ask(LEE))
    assert result["found"] is True and result["citations"]
    assert any("NHK" in c["text"] for c in result["citations"])
    _assert_checkable(result)


def test_follow_up_passes_history(served, client):
    follow_up = "And what did he say about China?"
    result = client.predict(follow_up, [LEE], api_name="/ask")
    assert result == _json(served.assistant.ask(follow_up, [LEE]))
    assert result["question"] == follow_up
    _assert_checkable(result)


def test_not_found_via_gradio_client(client):
    result = client.predict(OUTSIDE, api_name="/ask")
    assert result["found"] is False
    assert result["citations"] == [] and result["passages"]


def test_empty_question_via_gradio_client_is_an_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")


def test_check_via_gradio_client(client):
    result = client.predict(VERBATIM, api_name="/check")
    assert result["verdict"] == "supported"
    best = result["sources"][0]
    assert best["doc_id"].startswith("000_") and best["evidence"]["text"] == VERBATIM
    assert client.predict("The Eiffel Tower is in Paris.", api_name="/check")["verdict"] == "not_found"


def test_noop_endpoint_exists_for_benchmarks(client):
    assert client.predict("x", api_name="/noop") == {"question": "x"}


def test_http_ask(served, http):
    response = http.post("api/ask", json={"question": LEE})
    assert response.status_code == 200
    assert response.json() == _json(served.assistant.ask(LEE))
    follow = http.post("api/ask", json={"question": "Why?", "history": [{"question": LEE}]})
    assert follow.status_code == 200 and follow.json()["question"] == "Why?"


@pytest.mark.parametrize(
    "body",
    [
        {"question": ""},
        {"question": " \n\t "},
        {"question": "x" * 2001},
        {"question": 42},
        {},
        {"question": LEE, "history": "not a list"},
        {"question": LEE, "history": [{"q": 1}]},
        ["a list"],
    ],
)
def test_http_ask_rejects_bad_input_with_422(http, body):
    response = http.post("api/ask", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_http_invalid_json_is_400(http):
    response = http.post("api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_http_body_over_limit_is_413(http):
    big = json.dumps({"question": "x" * (MAX_BODY_BYTES + 10)}).encode()
    response = http.post("api/ask", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_http_chunked_body_over_limit_is_413(http):
    def chunks():  # no Content-Length: the size is only known while reading
        yield b'{"question": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    response = http.post("api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_http_check(http):
    response = http.post("api/check", json={"claim": VERBATIM})
    assert response.status_code == 200
    data = response.json()
    assert data["verdict"] == "supported" and len(data["sources"]) == 3
    assert http.post("api/check", json={"claim": "  "}).status_code == 422


def test_http_docs_lists_documents(http):
    response = http.get("api/docs")
    assert response.status_code == 200
    docs = {d["doc_id"]: d for d in response.json()["documents"]}
    assert set(docs) == {"000_c282072937a0cf8e.txt", "003_64419fa70da9995d.txt", HOSTILE_NAME}
    assert docs["003_64419fa70da9995d.txt"]["meta"]["publisher"] == "CRBC News"
    assert docs["000_c282072937a0cf8e.txt"]["meta"]["publisher"] is None


def test_hostile_article_is_returned_verbatim_as_data(http):
    answer = http.post("api/ask", json={"question": HOSTILE_QUESTION}).json()
    assert answer["found"] and answer["citations"][0]["text"] == HOSTILE_SENTENCE


def test_page_is_served(http):
    response = http.get("")
    assert response.status_code == 200 and "<html" in response.text.lower()


def test_importing_the_web_module_starts_nothing_and_skips_gradio():
    code = "import sys, assistant.web.app; assert 'gradio' not in sys.modules, 'gradio imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_server_picks_up_articles_added_and_removed_by_another_process(served, http, tmp_path):
    from assistant import Assistant
    from tests.web_fixtures import embedder

    article = tmp_path / "otters.txt"
    article.write_text("Otters in Nara\n\nA family of otters was seen swimming in the Saho River in Nara.\n")
    other = Assistant.open(served.assistant.config, embedder=embedder(), update=False)

    def listed() -> set[str]:
        return {d["doc_id"] for d in http.get("api/docs").json()["documents"]}

    def wait_until(condition) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, "the server did not reload the index"
            time.sleep(0.2)

    other.add([article])
    wait_until(lambda: "otters.txt" in listed())
    answer = http.post("api/ask", json={"question": "Where were the otters seen swimming?"}).json()
    assert answer["found"] and answer["citations"][0]["doc_id"] == "otters.txt"
    other.remove("otters.txt")
    wait_until(lambda: "otters.txt" not in listed())


TUESDAY = "Who did Takaichi meet on Tuesday?"


def test_as_of_via_http_and_gradio_client(served, client, http):
    result = client.predict(TUESDAY, [], "2026-03-10", api_name="/ask")
    assert result == _json(served.assistant.ask(TUESDAY, as_of="2026-03-10"))
    assert result["as_of"] == "2026-03-10" and result["time_note"].startswith("Nothing in the sources is from")
    response = http.post("/api/ask", json={"question": TUESDAY, "as_of": "2026-01-14"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["as_of"] == "2026-01-14" and answer["time_note"] is None
    assert all(c["published"] == "2026-01-13" for c in answer["citations"])
    _assert_checkable(answer)


@pytest.mark.parametrize("as_of", ["14/01/2026", "2026-02-30", 20260114, ["2026-01-14"]])
def test_a_bad_as_of_is_a_422(http, as_of):
    response = http.post("/api/ask", json={"question": TUESDAY, "as_of": as_of})
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.json()["error"]["message"]
