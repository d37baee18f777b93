"""The texts the server writes in English and the browser UI shows (what each layer type
and each of its fields does, each training setting, each dataset and each of its options)
have a Spanish version in the UI's catalogs, next to the English one: the UI shows a
catalog's text only where its English is the server's text as it is (static/src/editor/
labels.ts, `described`), so these fail, naming each text, when a layer, setting or dataset
is added, or a description reworded, without its entries in both languages, and when an
entry is left describing nothing the server has.

The layout (English in en/, Spanish in es/):
  editor:layerDescriptions.<type>
  editor:fieldDescriptions.<field>              the field's text in most layers
  editor:fieldDescriptionsOf.<type>.<field>     where a layer's field says something else
  train:fieldDescriptions.<section>.<field>     section: training, or the nested group
  train:datasetDescriptions.<dataset>
  train:datasetOptions.<option>                 the option's text in most datasets
  train:datasetOptionsOf.<dataset>.<option>     where a dataset's option says something else
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

CATALOGS = Path(__file__).resolve().parent.parent / "static" / "src" / "i18n"
# the catalog subtrees that hold the server's texts, per namespace
SUBTREES = {"editor": ("layerDescriptions", "fieldDescriptions", "fieldDescriptionsOf"),
            "train": ("fieldDescriptions", "datasetDescriptions", "datasetOptions",
                      "datasetOptionsOf")}

Path_ = tuple[str, ...]  # a namespace, then the keys


@dataclass(frozen=True)
class Described:
    """One text the server writes: what it describes, the text, and where the catalogs may
    have it (the first path whose English is the text wins, as in the UI)."""

    what: str
    english: str
    paths: tuple[Path_, ...]


def catalog(lang: str, namespace: str) -> dict[str, Any]:
    tree: dict[str, Any] = json.loads((CATALOGS / lang / f"{namespace}.json").read_text("utf-8"))
    return tree


def at(tree: Any, keys: Path_) -> Any:
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def leaves(tree: Any, prefix: Path_) -> Iterator[Path_]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, (*prefix, key))
    else:
        yield prefix


def described_properties(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, prop in schema.get("properties", {}).items():
        if prop.get("description"):
            yield name, prop["description"]


def ref_of(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref") or next(
        (v["$ref"] for v in prop.get("anyOf", []) if "$ref" in v), None)
    return ref.rsplit("/", 1)[-1] if ref else None


@pytest.fixture(scope="module")
def texts(client: TestClient) -> dict[str, list[Described]]:
    """Every description the server gives the UI, by kind."""
    layers = client.get("/api/v1/layers").json()
    datasets = client.get("/api/v1/datasets").json()
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    found: dict[str, list[Described]] = {kind: [] for kind in (
        "layer", "layer field", "training field", "dataset", "dataset option")}
    for layer in layers:
        kind = layer["type"]
        found["layer"].append(Described(
            f"layer {kind}", layer["description"], (("editor", "layerDescriptions", kind),)))
        for name, text in described_properties(layer["schema"]):
            found["layer field"].append(Described(
                f"layer {kind}, field {name}", text,
                (("editor", "fieldDescriptionsOf", kind, name),
                 ("editor", "fieldDescriptions", name))))
    # the training settings, and each nested group's (a $ref: optimizer, schedule, gan, ...)
    training = schemas["TrainingSpec"]
    sections = [("training", training)] + [
        (name, schemas[ref]) for name, prop in training["properties"].items()
        if (ref := ref_of(prop))]
    for section, schema in sections:
        for name, text in described_properties(schema):
            found["training field"].append(Described(
                f"training setting {section}.{name}", text,
                (("train", "fieldDescriptions", section, name),)))
    for dataset in datasets:
        name = dataset["name"]
        found["dataset"].append(Described(
            f"dataset {name}", dataset["description"], (("train", "datasetDescriptions", name),)))
        for option, text in described_properties(dataset["options_schema"]):
            found["dataset option"].append(Described(
                f"dataset {name}, option {option}", text,
                (("train", "datasetOptionsOf", name, option), ("train", "datasetOptions", option))))
    return found


CATALOG = {(lang, ns): catalog(lang, ns) for lang in ("en", "es") for ns in SUBTREES}


def resolve(text: Described) -> Path_ | None:
    """The path the UI takes the text from: the first whose English is the server's."""
    return next((path for path in text.paths
                 if at(CATALOG["en", path[0]], path[1:]) == text.english), None)


def untranslated(texts: list[Described]) -> list[str]:
    found = []
    for text in texts:
        path = resolve(text)
        spanish = path and at(CATALOG["es", path[0]], path[1:])
        if not path:
            key = ":".join((text.paths[0][0], ".".join(text.paths[0][1:])))
            found.append(f"{text.what}: not in the catalogs as the server words it "
                         f"(e.g. {key}: {text.english!r})")
        elif not (isinstance(spanish, str) and spanish.strip()):
            found.append(f"{text.what}: no Spanish at {path[0]}:{'.'.join(path[1:])}")
    return found


@pytest.mark.parametrize("kind", ["layer", "layer field", "training field", "dataset",
                                  "dataset option"])
def test_every_description_the_server_gives_has_a_spanish_one(
        texts: dict[str, list[Described]], kind: str) -> None:
    assert texts[kind], f"the server describes no {kind}"
    assert untranslated(texts[kind]) == []


def test_every_catalog_description_describes_something_the_server_has(
        texts: dict[str, list[Described]]) -> None:
    used = {resolve(text) for kind in texts.values() for text in kind}
    entries = {(ns, *path) for ns, subtrees in SUBTREES.items() for subtree in subtrees
               for path in leaves(CATALOG["en", ns].get(subtree, {}), (subtree,))}
    assert sorted(f"{ns}:{'.'.join(keys)}" for ns, *keys in entries - used) == []


def test_a_missing_or_reworded_text_is_named() -> None:
    new = Described("layer new_layer", "Does something new.",
                    (("editor", "layerDescriptions", "new_layer"),))
    reworded = Described("layer dense", "Some other words.",
                         (("editor", "layerDescriptions", "dense"),))
    assert untranslated([new, reworded]) == [
        "layer new_layer: not in the catalogs as the server words it "
        "(e.g. editor:layerDescriptions.new_layer: 'Does something new.')",
        "layer dense: not in the catalogs as the server words it "
        "(e.g. editor:layerDescriptions.dense: 'Some other words.')"]


def test_every_dataset_option_has_a_label_and_its_choices_a_name(client: TestClient) -> None:
    """The dataset options' forms label each option, and each choice of one, from the train
    catalogs (the values sent stay as they are)."""
    missing = []
    for dataset in client.get("/api/v1/datasets").json():
        for option, prop in dataset["options_schema"].get("properties", {}).items():
            choices = prop.get("enum") or [value for alt in prop.get("anyOf", [])
                                           for value in alt.get("enum", [])]
            for lang in ("en", "es"):
                train = CATALOG[lang, "train"]
                if not at(train, ("datasetOptionLabels", option)):
                    missing.append(f"{lang}: label of option {option} ({dataset['name']})")
                missing += [f"{lang}: choice {choice} of option {option} ({dataset['name']})"
                            for choice in choices
                            if not at(train, ("datasetOptionChoices", option, str(choice)))]
    assert missing == []
