from __future__ import annotations

import hashlib
import secrets
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.login_limit import LoginThrottle
from app.api.middleware import TOKEN_COOKIE

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LayerLab</title>
<link rel="stylesheet" href="/static/style.css"></head><body><h1>LayerLab</h1>
<form method="post" action="/login"><label>Access token
<input name="token" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>{error}</body></html>"""


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    return HTMLResponse(PAGE.format(error=""))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the token and keep it in an http-only cookie for the API and websockets.

    Wrong tokens are counted per client address: past the throttle's limit the answer
    is 429 with Retry-After, whatever the token."""
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else ""
    wait = throttle.retry_after(client)
    if wait:
        return HTMLResponse(PAGE.format(error="<p>Too many wrong tokens: try again later.</p>"),
                            status_code=429, headers={"Retry-After": str(wait)})
    expected = request.app.state.settings.token or ""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    if not expected or not _same(given, expected):
        throttle.failed(client)
        return HTMLResponse(PAGE.format(error="<p>Wrong token.</p>"), status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of digests, so neither the content nor the length of
    the token shows in how long a wrong guess takes."""
    digest = hashlib.sha256
    return secrets.compare_digest(digest(given.encode()).digest(),
                                  digest(expected.encode()).digest())
