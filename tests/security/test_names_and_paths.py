"""Path-like and unicode names (run, spec, dataset, preset names; path parameters) never
cause a 5xx, never touch a file outside the server's home, and downloads keep a valid
Content-Disposition (RFC 6266, with RFC 5987 `filename*` for non-ASCII names)."""

from __future__ import annotations

import ast
import http.client
import os
import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx2 as httpx
import pytest
from starlette.websockets import WebSocketDisconnect

from app.settings import PROJECT_ROOT
from tests.security.helpers import API, HOSTILE_NAME, Lab, api_endpoints, fill

HOSTILE = [
    "../../etc/passwd", "..\\..\\x", "名前 🚀", 'say "hi"', "it's", "line\nbreak",
    "nul\x00byte", "\u202egpj.exe", "%2e%2e/%2e%2e/x", "/etc/passwd", "C:\\Windows\\x",
    "..", " ", "\r\nX-Injected: 1", "a" * 120,
]
ASCII_FILENAME = re.compile(r'^attachment; filename="[A-Za-z0-9_-]+\.[a-z]+"')
NOT_A_NETWORK = {"input": {"shape": [2]}, "layers": [{"id": "out", "type": "dense",
                                                         "units": 2}]}


def _beside_home(lab: Lab) -> set[str]:
    """What lies next to the home, and the files (pytest's folders aside) next to that."""
    return ({p.name for p in lab.root.iterdir()}
            | {f"../{p.name}" for p in lab.root.parent.iterdir() if not p.is_dir()})


@pytest.fixture
def guarded(lab: Lab) -> Iterator[list[httpx.Response]]:
    """Collects answers; afterwards none was a 5xx or carried the canary or /etc/passwd,
    and nothing appeared next to the home (or next to its folder)."""
    before = _beside_home(lab)
    answers: list[httpx.Response] = []
    yield answers
    assert answers
    for response in answers:
        where = f"{response.request.method} {response.request.url}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
        assert lab.secret not in response.text, f"{where} read the canary"
        assert "root:x:0:0" not in response.text, f"{where} read /etc/passwd"
    assert _beside_home(lab) == before
    assert {p.name for p in lab.root.iterdir()} == {"home", "canary.txt"}


def _star_filename(disposition: str) -> str | None:
    """The name in the header's filename* as Python's RFC 2231 decoder reads it (alone:
    the email package does not give filename* precedence as RFC 6266 does)."""
    star = [p.strip() for p in disposition.split(";") if p.strip().startswith("filename*=")]
    message = EmailMessage()
    message["content-disposition"] = f"attachment; {star[0]}" if star else "attachment"
    return message.get_filename()


def test_hostile_run_name_is_kept_and_exports(lab: Lab, run: str, guarded: list[Any],
                                              record_property: pytest.RecordProperty) -> None:
    """A run named with unicode, emoji, '..', quotes, a newline and a NUL exports with
    a valid Content-Disposition: ASCII filename plus filename*=UTF-8''."""
    got = lab.client.get(f"{API}/runs/{run}")
    guarded.append(got)
    assert got.json()["name"] == HOSTILE_NAME
    listed = lab.client.get(f"{API}/runs")
    guarded.append(listed)
    assert HOSTILE_NAME in [r["name"] for r in listed.json()["runs"]]
    headers = []
    for fmt, extension in (("pytorch", "zip"), ("safetensors", "safetensors")):
        exported = lab.client.get(f"{API}/runs/{run}/export/{fmt}")
        guarded.append(exported)
        assert exported.status_code == 200, exported.text
        disposition = exported.headers["content-disposition"]
        assert disposition.isascii() and "\n" not in disposition and "\r" not in disposition
        assert ASCII_FILENAME.match(disposition), disposition
        star = re.search(r"filename\*=UTF-8''([A-Za-z0-9%._~-]+)$", disposition)
        assert star, f"no RFC 5987 filename* for a non-ASCII name: {disposition}"
        name = unquote(star.group(1), errors="strict")
        assert name.startswith("名前") and name.endswith(f".{extension}"), name
        assert not set(name) & set('/\\"\'\n\r\x00 ') and ".." not in name, name
        assert _star_filename(disposition) == name
        headers.append(disposition)
    record_property("detail", headers[0])


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_spec_name_validates_and_exports(lab: Lab, name: str,
                                                 guarded: list[Any]) -> None:
    """A spec name or description of any text: validate 200, export a plain ASCII file name."""
    spec = {**NOT_A_NETWORK, "name": name, "description": name}
    validated = lab.client.post(f"{API}/specs/validate", json=spec)
    exported = lab.client.post(f"{API}/specs/export/pytorch", json=spec)
    guarded += [validated, exported]
    assert validated.status_code == 200, validated.text
    assert exported.status_code == 200, exported.text
    assert ASCII_FILENAME.match(exported.headers["content-disposition"])


@pytest.mark.parametrize("text", [
    *HOSTILE, 'x"""; import os; os.system("touch marker"); """', "ends with a backslash\\",
    'ends with a quote"', "a NUL \x00 inside", "a CR \r inside"], ids=lambda t: repr(t)[:24])
def test_exported_source_is_valid_python_for_any_name(lab: Lab, text: str) -> None:
    """The PyTorch source exported for a spec parses, whatever its name and description."""
    spec = {**NOT_A_NETWORK, "name": text, "description": text}
    exported = lab.client.post(f"{API}/specs/export/pytorch", json=spec)
    assert exported.status_code == 200
    tree = ast.parse(exported.text)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "system"]
    assert not calls, "text from the spec became code"


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_dataset_and_preset_names_never_reach_files(lab: Lab, name: str,
                                                    guarded: list[Any]) -> None:
    """Path-like dataset, preset and upload names: 404 or 422, nothing read or written."""
    training = {"dataset": {"name": name}, "device": "cpu"}
    created = lab.client.post(f"{API}/runs", json={"model": NOT_A_NETWORK, "training": training})
    upload = lab.client.post(f"{API}/runs", json={"model": NOT_A_NETWORK, "training": {
        "dataset": {"name": "csv", "options": {"upload_id": name, "target": name}}}})
    preset = lab.client.post(f"{API}/runs", json={"model": {"preset": name},
                                                  "training": training})
    guarded += [created, upload, preset]
    assert created.status_code == upload.status_code == preset.status_code == 422
    raw = [name] if name.isprintable() else []  # a client cannot send a raw control char
    for value in (*raw, quote(name, safe=""), quote(name, safe="/")):
        dataset = lab.client.get(f"{API}/datasets/{value}")
        preset_page = lab.client.get(f"{API}/presets/{value}")
        guarded += [dataset, preset_page]
        assert dataset.status_code in (404, 422) and preset_page.status_code in (404, 422)


def _id_variants(run: str) -> list[str]:
    real = uuid.UUID(hex=run)
    return ["..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%2e%2e%5c%2e%2e%5cx", "名前",
            quote("名前 🚀"), "0" * 32, str(real), "{" + run + "}", f"urn:uuid:{real}",
            run.upper(), run + "%00", "a" * 2000]


def test_run_id_path_parameters_never_alias_or_escape(lab: Lab, run: str, guarded: list[Any],
                                                      record_property: pytest.RecordProperty
                                                      ) -> None:
    """Every run route with dotted, encoded, unicode, dashed or braced ids: 404/405/422, no 5xx."""
    count = 0
    for endpoint in api_endpoints(lab.app):
        if "{run_id}" not in endpoint.path:
            continue
        for run_id in _id_variants(run):
            url = fill(endpoint.path, {"run_id": run_id, "fmt": "pytorch"})
            if endpoint.method == "WS":
                with pytest.raises(WebSocketDisconnect) as closed, \
                        lab.client.websocket_connect(url):
                    pass
                # 4404: no such run; 1000: the path names no route at all
                assert closed.value.code in (4404, 1000), (url, closed.value.code)
                continue
            body = {"sample": 0} if endpoint.method == "POST" else None
            response = lab.client.request(endpoint.method, url, json=body)
            guarded.append(response)
            assert response.status_code in (404, 405, 422), (url, response.status_code)
            count += 1
    assert lab.client.get(f"{API}/runs/{run}").json()["status"] == "paused"  # untouched
    record_property("detail", f"{count} requests with {len(_id_variants(run))} hostile ids")


def test_static_files_do_not_escape_their_folder(server: str, lab: Lab,
                                                 record_property: pytest.RecordProperty
                                                 ) -> None:
    """Raw '..' and encoded traversals under /static never serve the code or the canary."""
    static = PROJECT_ROOT / "static"
    to_canary = Path(os.path.relpath(lab.canary, static)).as_posix()
    paths = ["/static/../app/settings.py", "/static/%2e%2e/app/settings.py",
             "/static/..%2fapp%2fsettings.py", "/static/%2e%2e%2fapp%2fsettings.py",
             "/static/..\\app\\settings.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
             f"/static/{to_canary}", f"/static/{quote(to_canary, safe='')}",
             "/static/" + "%2e%2e%2f" * 12 + "etc/passwd"]
    parts = urlsplit(server)
    assert parts.hostname and parts.port
    statuses = []
    for raw in paths:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.putrequest("GET", raw, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read().decode("latin-1")
        finally:
            connection.close()
        statuses.append(response.status)
        assert response.status in (400, 404), (raw, response.status)
        assert lab.secret not in body and "class Settings" not in body and "root:x" not in body
    record_property("detail", f"{len(paths)} traversals -> {sorted(set(statuses))}")
