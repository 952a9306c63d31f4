"""Plain JSON routes for scripts: ``POST /api/ask``, ``POST /api/check``, ``GET /api/docs``.

Errors are JSON ``{"error": {"code", "message"}}`` with a fitting status: 422 for a bad
question or claim, 413 for a body over ``MAX_BODY_BYTES``, 400 for broken JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.errors import AssistantError, IndexStateError, InvalidQuestion
from assistant.service import Service

MAX_BODY_BYTES = 64 * 1024


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
    except ValueError:
        raise _BadRequest(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _BadRequest(422, "invalid_request", "The request body must be a JSON object.")
    return data


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

    @app.post("/api/ask")
    async def api_ask(request: Request) -> JSONResponse:
        """Answer a question: {"question": str, "history": [str]} -> the answer JSON."""

        def work(data: dict[str, Any]) -> dict[str, Any]:
            question = data.get("question")
            if not isinstance(question, str):
                raise InvalidQuestion("'question' must be a string.")
            return service.ask(question, parse_history(data.get("history"))).to_dict()

        return await call(request, work)

    @app.post("/api/check")
    async def api_check(request: Request) -> JSONResponse:
        """Check a claim against the sources: {"claim": str} -> verdicts per source."""
        return await call(request, lambda data: service.check(data.get("claim")).to_dict())

    @app.get("/api/docs")
    async def api_docs() -> JSONResponse:
        """The indexed documents."""
        docs = await run_in_threadpool(service.documents)
        return JSONResponse({"documents": [asdict(d) for d in docs]})
