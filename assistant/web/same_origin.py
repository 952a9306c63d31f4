"""Refuse requests that do not come from the app's own page on a name the app serves.

Two attacks reach a server on 127.0.0.1 through the user's own browser:

- **Another site's page** (or another local program's) sends requests to the app. A
  browser names the page that makes a request in its ``Origin`` header.
- **DNS rebinding**: a page served from an attacker's name that later resolves to
  127.0.0.1 is, to the browser, same-origin with the app: its requests carry
  ``Host: evil.example:7860`` and ``Origin: http://evil.example:7860``, which match each
  other. Only an allow-list of the names the app is served under tells them apart.

So every request, Gradio's routes and websockets included, passes only when its ``Host``
names an allowed host (127.0.0.1, localhost, [::1], and those given with ``--host`` or
``--allowed-host``), and, when it carries an ``Origin``, that origin is the very
``host:port`` the request was sent to. Everything else gets 403 before any route runs, so
no CORS header is ever sent to a foreign origin. Requests without ``Origin`` (curl,
scripts, gradio_client) are not a browser acting for another site and pass the origin check.

Bodies are bounded here too, for every route but the upload: a JSON event or API call is
refused with 413 above ``MAX_BODY_BYTES`` before it is parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Far more than a question, a claim or an event with a capped history needs; files go to the
# upload route, which Gradio bounds by the app's file size limit.
MAX_BODY_BYTES = 256 * 1024
UPLOAD_PATHS = ("/gradio_api/upload", "/upload")


class SameOriginOnly:
    """ASGI middleware: 403 for an HTTP request (close for a websocket) whose ``Host`` is not
    allowed or whose ``Origin`` is not that host; 413 for an oversized body."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = LOCAL_HOSTS | {host_name(h) for h in allowed_hosts if host_name(h)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host, origin = headers.get("host", ""), headers.get("origin")
        if host_name(host) not in self.allowed:
            await self._refuse(scope, receive, send, "unknown_host", f"host {host!r}")
            return
        if origin is not None and not is_same_origin(origin, host):
            await self._refuse(scope, receive, send, "cross_origin", f"origin {origin!r}")
            return
        if scope["type"] == "http" and not scope.get("path", "").endswith(UPLOAD_PATHS):
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                await _too_large(scope, receive, send)
                return
            receive = _bounded(receive)
        try:
            await self.app(scope, receive, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, code: str, what: str) -> None:
        log.warning("refused a request to %s from %s", printable(scope.get("path", "")), printable(what))
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        message = (
            "Requests from other sites are not accepted; use the page this server serves."
            if code == "cross_origin"
            else "This server does not answer to that host name; open it as http://127.0.0.1:PORT/ "
            "(or start it with --allowed-host NAME)."
        )
        response = JSONResponse({"error": {"code": code, "message": message}}, status_code=403)
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _bounded(receive: Receive) -> Receive:
    """``receive`` that stops a body sent without (or with a false) Content-Length at the limit."""
    seen = 0

    async def inner() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise _BodyTooLarge
        return message

    return inner


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    message = f"The request body is over {MAX_BODY_BYTES:,} bytes."
    response = JSONResponse({"error": {"code": "body_too_large", "message": message}}, status_code=413)
    try:
        await response(scope, receive, send)
    except RuntimeError:  # the app had already started its response: nothing more to send
        pass


def host_name(host: str) -> str:
    """The lower-case name or address of a ``Host`` header or ``--host`` value, without port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:7860
        return host[1 : host.find("]")] if "]" in host else ""
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def is_same_origin(origin: str, host: str) -> bool:
    """Whether the ``Origin`` header names the ``host:port`` the request was sent to.

    The scheme is not compared: behind a TLS proxy the app sees http while the page is
    https. ``null`` (sandboxed frames, files opened from disk) is never the app.
    """
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        return False
    return parts.netloc.lower() == host.strip().lower()


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe for one log line: control characters (newlines, ESC) escaped, length capped."""
    escaped = text[:limit].encode("unicode_escape", errors="backslashreplace").decode("ascii")
    return escaped + ("…" if len(text) > limit else "")
