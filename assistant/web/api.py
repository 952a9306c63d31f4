"""Plain JSON routes for scripts: ``POST /api/ask``, ``POST /api/check``, ``GET /api/docs``.

Errors are JSON ``{"error": {"code", "message"}}`` with a fitting status: 422 for a bad
question or claim, 413 for a body over ``MAX_BODY_BYTES``, 400 for broken JSON (including
text that is not Unicode, such as a lone surrogate ``"\\ud800"``, and nesting deeper than
``MAX_DEPTH``). Nothing a client sends gives a plain-text 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.errors import AssistantError, IndexStateError, InvalidQuestion
from assistant.web.service import Service

MAX_BODY_BYTES = 64 * 1024
# Far more than a question with its history needs, far less than what exhausts a recursive walk.
MAX_DEPTH = 16

log = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class _BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = _error(status, code, message)


async def _read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object, refusing bodies over MAX_BODY_BYTES before and while reading."""
    too_big = _BadRequest(413, "body_too_large", f"The request body is over {MAX_BODY_BYTES} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_big
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for the parser itself
        raise _BadRequest(400, "invalid_json", "The request body is not valid JSON.") from None
    _check_text_and_depth(data)
    if not isinstance(data, dict):
        raise _BadRequest(422, "invalid_request", "The request body must be a JSON object.")
    return data


def _check_text_and_depth(data: object) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings that are not Unicode text.

    JSON lets ``\\ud800`` stand alone, but such a string cannot be encoded again (the
    answer echoes the question); and every later step walks the structure. Iterative,
    so that no depth can exhaust the stack here.
    """
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _is_unicode(value):
                raise _BadRequest(400, "invalid_json", "The request body holds text that is not valid Unicode.")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _BadRequest(400, "invalid_json", f"The request body is nested deeper than {MAX_DEPTH} levels.")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def parse_history(value: object) -> list[str | Mapping[str, object]]:
    """Earlier questions from a request: a list of strings or of {"question": str} turns."""
    if value is None:
        return []
    ok = isinstance(value, list) and all(
        isinstance(h, str) or (isinstance(h, dict) and isinstance(h.get("question"), str)) for h in value
    )
    if not ok:
        raise InvalidQuestion("history must be a list of earlier questions (strings).")
    return value  # type: ignore[return-value]


def parse_as_of(value: object) -> str | None:
    """The as-of day of a request: 'YYYY-MM-DD', or null/absent for today (checked by the core)."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidQuestion("as_of must be a date written YYYY-MM-DD, such as 2026-01-13.")


def add_routes(app: FastAPI, service: Service) -> None:
    async def call(request: Request, work: Any) -> JSONResponse:
        try:
            data = await _read_json(request)
            return JSONResponse(await run_in_threadpool(work, data))
        except _BadRequest as exc:
            return exc.response
        except InvalidQuestion as exc:
            return _error(422, "invalid_question", str(exc))
        except IndexStateError as exc:
            return _error(503, "index_unavailable", str(exc))
        except AssistantError as exc:
            return _error(500, "assistant_error", str(exc))
        except Exception as exc:  # a bug, not the client's input: still JSON, and one line in the log
            log.error("%s failed: %s: %s", request.url.path, type(exc).__name__, exc)
            return _error(500, "internal_error", "The server failed to answer; see its log.")

    @app.post("/api/ask")
    async def api_ask(request: Request) -> JSONResponse:
        """Answer a question: {"question": str, "history": [str], "as_of": "YYYY-MM-DD"} -> the answer JSON."""

        def work(data: dict[str, Any]) -> dict[str, Any]:
            question = data.get("question")
            if not isinstance(question, str):
                raise InvalidQuestion("'question' must be a string.")
            history = parse_history(data.get("history"))
            return service.ask(question, history, as_of=parse_as_of(data.get("as_of"))).to_dict()

        return await call(request, work)

    @app.post("/api/check")
    async def api_check(request: Request) -> JSONResponse:
        """Check a claim against the sources: {"claim": str} -> verdicts per source."""
        return await call(request, lambda data: service.check(data.get("claim")).to_dict())

    @app.get("/api/docs")
    async def api_docs() -> JSONResponse:
        """The indexed documents."""
        docs = await run_in_threadpool(service.documents)
        return JSONResponse({"documents": [d.record() for d in docs]})
