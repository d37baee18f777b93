"""Files crafted to run code when unpickled, put where the server reads weights (a run's
checkpoint, its per-epoch snapshot) or sent as an upload or an input image; and a PNG
decompression bomb. Every answer is a clear 4xx and the payload never runs."""

from __future__ import annotations

import base64
import io
import os
import pathlib
import pickle
import shlex
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import save as save_safetensors

from app.nn import build
from app.nn.export import EXPORT_FORMATS
from app.spec import NetworkSpec
from app.train.checkpoint import Checkpoint, save_checkpoint
from tests.security.helpers import API, Lab, rss_mb


class _System:
    """Unpickling this runs `touch marker` in a shell."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], int], tuple[str]]:
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


class _Touch:
    """Unpickling this calls pathlib.Path.touch(marker), no shell involved."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[Path], None], tuple[Path]]:
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def _torch_zip(marker: Path) -> bytes:
    buffer = io.BytesIO()
    torch.save({"hidden1.weight": _System(marker), "extra": _Touch(marker)}, buffer)
    return buffer.getvalue()


PAYLOADS: dict[str, Callable[[Path], bytes]] = {
    "pickle-system": lambda marker: pickle.dumps(_System(marker), protocol=2),
    "pickle-touch": lambda marker: pickle.dumps(_Touch(marker), protocol=4),
    "pickle-ascii": lambda marker: pickle.dumps(_System(marker), protocol=0),
    "torch-save-zip": _torch_zip,
    # not code, but not a LayerLab checkpoint either: a safetensors file of other tensors
    "foreign-safetensors": lambda marker: save_safetensors({"x": torch.zeros(3)}),
}


@contextmanager
def replaced(data: bytes, *paths: Path) -> Iterator[None]:
    """Each of `paths` that exists holds `data` for the duration; then the originals
    come back."""
    originals = {path: path.read_bytes() for path in paths if path.exists()}
    assert originals, f"none of {paths} exists"
    for path in originals:
        path.write_bytes(data)
    try:
        yield
    finally:
        for path, original in originals.items():
            path.write_bytes(original)


def checkpoints(run_dir: Path) -> tuple[Path, Path]:
    """The latest checkpoint and the previous one kept beside it (used when the latest
    is damaged): a crafted file must replace both to be read at all."""
    return run_dir / "checkpoint.safetensors", run_dir / "checkpoint.prev.safetensors"


def _check(answers: dict[str, int], name: str, response: object) -> None:
    status = getattr(response, "status_code")  # noqa: B009
    answers[name] = status
    assert 400 <= status < 500, f"{name}: {status} {getattr(response, 'text', '')[:300]}"
    detail = getattr(response, "json")()["detail"]  # noqa: B009
    assert isinstance(detail, str) and detail, f"{name}: no reason given"


def _weight_readers(lab: Lab, run_id: str, epoch: int | None) -> dict[str, object]:
    """Every route that loads the run's weights, with the latest or an epoch's."""
    client, base = lab.client, f"{API}/runs/{run_id}"
    query = "" if epoch is None else f"?epoch={epoch}"
    body: dict[str, object] = {"sample": 0} | ({} if epoch is None else {"epoch": epoch})
    answers: dict[str, object] = {}
    if epoch is None:
        for fmt in EXPORT_FORMATS:
            answers[f"export/{fmt}"] = client.get(f"{base}/export/{fmt}")
    for view in ("predict", "activations", "saliency", "attention"):
        answers[view] = client.post(f"{base}/inspect/{view}", json=body)
    for view in ("filters", "boundary", "confusion"):
        answers[view] = client.get(f"{base}/inspect/{view}{query}")
    sep = "&" if query else "?"
    answers["embedding"] = client.get(f"{base}/inspect/embedding{query}{sep}layer=conv")
    return answers


def _last_snapshot(lab: Lab, run_id: str) -> tuple[int, Path]:
    epochs = lab.client.get(f"{API}/runs/{run_id}/inspect/epochs").json()["epochs"]
    assert epochs, "the run kept no epoch snapshot"
    return epochs[-1], lab.home / "runs" / run_id / "epochs" / f"epoch-{epochs[-1]:05d}.safetensors"


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_crafted_checkpoint_is_refused_and_never_run(lab: Lab, run: str, kind: str,
                                                    record_property: pytest.RecordProperty
                                                    ) -> None:
    """As the checkpoints, an epoch snapshot, or what resume reads: a 4xx, and no marker."""
    marker = lab.root / f"marker-{kind}"
    payload = PAYLOADS[kind](marker)
    run_dir = lab.home / "runs" / run
    answers: dict[str, int] = {}
    with replaced(payload, *checkpoints(run_dir)):
        for name, response in _weight_readers(lab, run, None).items():
            _check(answers, name, response)
        resumed = lab.client.post(f"{API}/runs/{run}/resume")
        if resumed.status_code < 300:  # it must not train on; stop it before failing
            lab.client.post(f"{API}/runs/{run}/stop")
        _check(answers, "resume", resumed)
    assert lab.client.get(f"{API}/runs/{run}").json()["status"] == "paused"
    epoch, snapshot = _last_snapshot(lab, run)
    with replaced(payload, snapshot):
        for name, response in _weight_readers(lab, run, epoch).items():
            _check(answers, f"{name}@epoch", response)
    assert not marker.exists(), f"the {kind} payload ran"
    # the real weights are back: the same routes work again
    assert lab.client.get(f"{API}/runs/{run}/export/safetensors").status_code == 200
    statuses = sorted(set(answers.values()))
    record_property("detail", f"{len(answers)} weight readers -> {statuses}, no marker")


def test_checkpoint_of_another_network_is_a_409(lab: Lab, run: str, tmp_path: Path,
                                               presets: dict[str, NetworkSpec],
                                               record_property: pytest.RecordProperty
                                               ) -> None:
    """A genuine LayerLab checkpoint (and snapshot) of another network in the run's place: 409."""
    other = build(presets["toy-mlp"]).state_dict()
    foreign = tmp_path / "checkpoint.safetensors"
    save_checkpoint(foreign, Checkpoint(other, {"state": {}, "param_groups": []},
                                        {"position": {"epoch": 1, "step": 1}}))
    answers: dict[str, int] = {}
    with replaced(foreign.read_bytes(), *checkpoints(lab.home / "runs" / run)):
        for name, response in _weight_readers(lab, run, None).items():
            _check(answers, name, response)
    epoch, snapshot = _last_snapshot(lab, run)
    with replaced(save_safetensors(other), snapshot):
        for name, response in _weight_readers(lab, run, epoch).items():
            _check(answers, f"{name}@epoch", response)
    assert set(answers.values()) == {409}, answers
    record_property("detail", f"{len(answers)} weight readers -> 409")


def test_pickle_uploaded_as_csv_is_only_text(lab: Lab,
                                             record_property: pytest.RecordProperty) -> None:
    """A pickle sent as a CSV table is kept as text or refused, never unpickled; runs on it 422."""
    outcomes = []
    for kind, make in PAYLOADS.items():
        marker = lab.root / f"marker-csv-{kind}"
        response = lab.client.post(f"{API}/datasets/csv/uploads", content=make(marker),
                                   headers={"content-type": "text/csv"})
        assert response.status_code in (201, 422), (kind, response.status_code, response.text)
        if response.status_code == 201:
            upload = response.json()["upload_id"]
            assert (lab.home / "uploads" / f"{upload}.csv").read_bytes() == make(marker)
            for target in ("cposix", "x", "target"):
                run = lab.client.post(f"{API}/runs", json={
                    "model": {"input": {"shape": [2]},
                              "layers": [{"id": "out", "type": "dense", "units": 2}]},
                    "training": {"dataset": {"name": "csv", "options": {
                        "upload_id": upload, "target": target}}, "device": "cpu"}})
                assert run.status_code == 422, (kind, target, run.status_code, run.text)
        assert not marker.exists(), f"the {kind} upload ran"
        outcomes.append(f"{kind} {response.status_code}")
    record_property("detail", ", ".join(outcomes))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_pickle_sent_as_an_input_image_is_a_422(lab: Lab, run: str,
                                                record_property: pytest.RecordProperty
                                                ) -> None:
    """Pickles and torch zips as a PNG (plain or data URL) or an array's bytes: 422, no marker."""
    url = f"{API}/runs/{run}/inspect/predict"
    answers: dict[str, int] = {}
    for kind, make in PAYLOADS.items():
        marker = lab.root / f"marker-png-{kind}"
        data = make(marker)
        bodies = {
            "png": {"png": _b64(data)},
            "data-url": {"png": f"data:image/png;base64,{_b64(data)}"},
            "array": {"array": {"shape": [1, 8, 8], "dtype": "float32", "data": _b64(data)}},
        }
        for name, body in bodies.items():
            response = lab.client.post(url, json=body)
            answers[f"{kind}:{name}"] = response.status_code
            assert response.status_code == 422, (kind, name, response.text[:300])
        assert not marker.exists(), f"the {kind} image ran"
    record_property("detail", f"{len(answers)} crafted inputs -> "
                              f"{sorted(set(answers.values()))}")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


@cache
def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of width x height black pixels, compressed to almost
    nothing (built row block by row block, never whole in memory)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    block = row * 1000
    parts = [packer.compress(block) for _ in range(height // 1000)]
    parts += [packer.compress(row * (height % 1000)), packer.flush()]
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b""))


def _small_png() -> str:
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, format="PNG")
    return _b64(buffer.getvalue())


@pytest.mark.parametrize("side", [30_000, 5_000])
def test_png_decompression_bomb_is_a_422(lab: Lab, run: str, side: int,
                                         record_property: pytest.RecordProperty) -> None:
    """A side x side PNG (small on disk) sent to predict: 422, with no big allocation."""
    url = f"{API}/runs/{run}/inspect/predict"
    assert lab.client.post(url, json={"png": _small_png()}).status_code == 200
    bomb = png_bomb(side, side)
    before = rss_mb()
    response = lab.client.post(url, json={"png": _b64(bomb)})
    grown = rss_mb() - before
    assert response.status_code == 422, response.text[:300]
    assert "too large" in response.json()["detail"]
    assert grown < 100, f"the server grew by {grown:.0f} MiB"
    record_property("detail", f"{len(bomb):,}-byte PNG of {side}x{side} -> 422, "
                              f"+{max(grown, 0):.0f} MiB")
