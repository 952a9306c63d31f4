"""Refuse requests that a page from another origin makes to the app.

Gradio's CORS handling lets any ``http://localhost:*`` page use the queue of an app
served on localhost, and only decides which responses a browser may read: the request
itself still runs. A page served by any other local program could then upload,
remove or ask through the user's browser. A browser names the page that makes a
request in its ``Origin`` header; this middleware answers 403 when that is not the
app's own ``host:port``. Requests without ``Origin`` (curl, scripts, gradio_client,
a page navigating to itself) are not a browser acting for another site and pass.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class SameOriginOnly:
    """ASGI middleware: 403 for an HTTP request, close for a websocket, from a foreign origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or is_same_origin(origin, headers.get("host", "")):
            await self.app(scope, receive, send)
            return
        log.warning("refused a request to %s from another origin: %s", scope.get("path", ""), origin)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        message = "Requests from other sites are not accepted; use the page this server serves."
        response = JSONResponse({"error": {"code": "cross_origin", "message": message}}, status_code=403)
        await response(scope, receive, send)


def is_same_origin(origin: str, host: str) -> bool:
    """Whether the ``Origin`` header names the ``host:port`` the request was sent to.

    The scheme is not compared: behind a TLS proxy the app sees http while the page is
    https. ``null`` (sandboxed frames, files opened from disk) is never the app.
    """
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        return False
    return parts.netloc.lower() == host.strip().lower()
