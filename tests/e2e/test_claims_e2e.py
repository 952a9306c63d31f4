"""Claims over the seeds checked with the real verifier, through the core, the CLI, the JSON
route and the Gradio API, which agree; every verdict's evidence is verifiable to the character."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import assert_verifiable
from tests.web_fixtures import Served, serve_tmp

pytestmark = pytest.mark.slow


CLAIMS = [
    ("Takaichi and Lee met in Nara", "supported"),
    ("The summit took place in Tokyo", "contradicted"),
    ("Lee said Japan should intervene over Taiwan", "contradicted"),  # Takaichi's suggestion, not Lee's
    ("Lee was born in 1955", "not_found"),
]


def assert_evidence_verifiable(result: dict, assistant) -> None:  # type: ignore[no-untyped-def]
    for source in result["sources"]:
        if source["evidence"] is not None:
            doc = assistant.document(source["doc_id"])
            text = Path(doc.file).read_bytes().decode("utf-8")
            ev = source["evidence"]
            assert text[ev["start"] : ev["end"]] == ev["text"]
        if source["conflict"] is not None:
            c = source["conflict"]
            assert result["claim"][c["claim"]["start"] : c["claim"]["end"]] == c["claim"]["text"]
            assert text[c["source"]["start"] : c["source"]["end"]] == c["source"]["text"]


@pytest.mark.parametrize(("claim", "verdict"), CLAIMS)
def test_the_four_claims(real_assistant, claim: str, verdict: str) -> None:  # type: ignore[no-untyped-def]
    result = real_assistant.check(claim).to_dict()
    assert result["verdict"] == verdict, result
    assert_evidence_verifiable(result, real_assistant)


def test_tokyo_against_nara_is_marked(real_assistant) -> None:  # type: ignore[no-untyped-def]
    result = real_assistant.check("The summit took place in Tokyo").to_dict()
    conflicts = [s["conflict"] for s in result["sources"] if s["conflict"] is not None]
    assert any(c["claim"]["text"] == "Tokyo" and "Nara" in c["source"]["text"] for c in conflicts), conflicts


def test_a_yes_no_question_is_answered_by_the_verifier(real_assistant) -> None:  # type: ignore[no-untyped-def]
    yes = real_assistant.ask("Did Takaichi host Lee in Nara?")
    assert yes.found and yes.yes_no == "yes"
    assert_verifiable(yes)
    no = real_assistant.ask("Did the summit take place in Tokyo?")
    assert no.found and no.yes_no == "no" and any("Nara" in c.text for c in no.citations)
    assert_verifiable(no)
    silent = real_assistant.ask("Did the leaders issue a joint statement after the talks?")
    assert not silent.found and silent.yes_no is None


def test_a_yes_no_question_about_who_said_it(real_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask("Did Lee say Japan should intervene over Taiwan?")
    assert answer.found and answer.yes_no == "no"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_tmp(tmp_path_factory.mktemp("claims")) as served:
        yield served


def test_the_cli_the_json_route_and_gradio_agree(served: Served) -> None:
    from gradio_client import Client

    claim = "The summit took place in Tokyo"
    over_http = httpx.post(served.url + "api/check", json={"claim": claim}, timeout=120).json()
    over_gradio = Client(served.url, verbose=False).predict(claim, api_name="/check")
    config = served.assistant.config
    argv = [sys.executable, "-m", "assistant", "check", "--json", claim, "--docs", str(config.docs_dir)]
    argv += ["--index", str(config.index_dir), "--no-update"]
    over_cli = json.loads(subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True).stdout)
    assert over_http["verdict"] == over_gradio["verdict"] == over_cli["verdict"] == "contradicted"
    assert over_http["sources"] == over_gradio["sources"] == over_cli["sources"]
    bad = httpx.post(served.url + "api/check", json={"claim": "   "}, timeout=60)
    assert bad.status_code == 422 and "empty" in bad.json()["error"]["message"]
