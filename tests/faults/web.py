"""A minimal HTTP client for a ChangePortal served by a child process: a browser session (cookies, CSRF,
redirects not followed) and API calls with a token."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Web:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None):
        """(status, body as text); 4xx/5xx and redirects are answers here, not exceptions."""
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self._opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def get(self, path: str):
        return self.request("GET", path)

    def _csrf(self) -> str:
        return next((cookie.value for cookie in self.cookies if cookie.name == "csrftoken"), "")

    def post_form(self, path: str, fields: dict):
        data = urllib.parse.urlencode(fields | {"csrfmiddlewaretoken": self._csrf()}).encode()
        return self.request("POST", path, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username: str, password: str) -> int:
        self.get("/login/")  # sets the CSRF cookie
        status, _ = self.post_form("/login/", {"username": username, "password": password})
        return status

    def api(self, method: str, path: str, token: str, body: dict | None = None):
        """(status, decoded JSON or the raw text)."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        status, text = self.request(method, path, data=data, headers=headers)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text
