"""Hostile bodies on the JSON routes of a real server: every answer is JSON with a status below 500."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import httpx
import pytest

from assistant.web.api import MAX_BODY_BYTES, MAX_DEPTH
from tests.web_fixtures import serve_tmp

pytestmark = pytest.mark.slow

ROUTES = ("api/ask", "api/check")
FIELDS = ("question", "claim", "history")
SEED, CASES = 20260, 120  # per route: bounded, and the same bodies every run


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with serve_tmp(tmp_path_factory.mktemp("web_fuzz")) as served:
        with httpx.Client(base_url=served.url, timeout=120) as client:
            yield client


def assert_json_below_500(response: httpx.Response, body: bytes) -> dict:
    shown = body[:120]
    assert response.status_code < 500, (response.status_code, response.text[:200], shown)
    assert response.headers["content-type"].startswith("application/json"), (response.headers, shown)
    data = response.json()
    if response.status_code >= 400:
        assert data["error"]["code"] and data["error"]["message"], data
    return data


def nested(depth: int, leaf: object = "x") -> object:
    value = leaf
    for n in range(depth):
        value = [value] if n % 2 else {"question": value}
    return value


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        '{"question": "\\ud800", "claim": "\\ud800"}',
        '{"question": "Who is Lee \\udfff?", "claim": "Lee met \\udc00 Takaichi"}',
        '{"question": "What did Lee tell NHK?", "history": ["\\ud83d"], "claim": "x", "\\ud800": 1}',
    ],
)
def test_a_lone_surrogate_is_a_400_json_error(http: httpx.Client, route: str, body: str) -> None:
    response = http.post(route, content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert assert_json_below_500(response, body.encode())["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        "[" * 30_000 + "]" * 30_000,  # under the size limit, beyond the parser's recursion
        '{"question": ' + "[" * 20_000 + "]" * 20_000 + "}",
        json.dumps(nested(MAX_DEPTH + 1)),
        json.dumps({"question": "Who?", "history": [nested(200)]}),
    ],
)
def test_deep_nesting_under_the_size_limit_is_a_400_json_error(http: httpx.Client, route: str, body: str) -> None:
    assert len(body) < MAX_BODY_BYTES
    response = http.post(route, content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert assert_json_below_500(response, body.encode())["error"]["code"] == "invalid_json"


# --- fuzz --------------------------------------------------------------------------------


WORDS = ("What did Lee tell NHK?", "Lee", "summit", "Takaichi hosted Lee in Nara.", "😀", "x" * 1999)
ODD = ("", " ", "\ud800", "\udfff", "\ud83d", "\x00", "\u202e", "\ufeff", "?" * 50, "x" * 2001)


def _string(rng: random.Random) -> str:
    """Words mixed with what breaks text handling: lone surrogates, NUL, bidi marks, lengths at the limit."""
    pieces = [rng.choice(WORDS if rng.random() < 0.5 else ODD) for _ in range(rng.randint(1, 4))]
    return "".join(pieces)


def _value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.choice(("str", "str", "str", "int", "float", "null", "bool", "list", "dict", "deep"))
    if kind == "str":
        return _string(rng)
    if kind == "int":
        return rng.choice((0, -1, 2**63, -(2**200), 10**300))
    if kind == "float":
        return rng.choice((0.5, -0.0, 1e308, float("inf"), float("-inf"), float("nan")))
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "deep":
        return nested(rng.randint(1, 60), _string(rng))
    if depth > 3:
        return []
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice((*FIELDS, _string(rng))): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _body(rng: random.Random) -> bytes:
    """A hostile request body: mostly JSON objects with wrong or odd fields, some not JSON at all."""
    roll = rng.random()
    if roll < 0.6:
        obj = {field: _value(rng) for field in rng.sample(FIELDS, rng.randint(0, 3))}
        return json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if roll < 0.75:
        return json.dumps(_value(rng)).encode("utf-8", "surrogatepass")
    if roll < 0.85:
        return rng.choice(
            (b'{"question": 1' + b"0" * 5000 + b"}", b"1e99999", b"-Infinity", b"NaN", b'"just a string"')
        )
    if roll < 0.95:
        text = json.dumps({"question": _string(rng)}).encode("utf-8", "surrogatepass")
        return text[: rng.randint(0, len(text))]  # cut anywhere
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))  # not even text


@pytest.mark.parametrize("route", ROUTES)
def test_fuzzed_bodies_get_json_answers_below_500(http: httpx.Client, route: str) -> None:
    rng = random.Random(f"{SEED}-{route}")
    statuses: set[int] = set()
    for _ in range(CASES):
        body = _body(rng)
        response = http.post(route, content=body, headers={"content-type": "application/json"})
        assert_json_below_500(response, body)
        statuses.add(response.status_code)
    assert {400, 422} <= statuses  # the fuzz reached both kinds of refusal
