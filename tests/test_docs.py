"""The guide in docs/ and the README's front page: the site builds with `mkdocs build
--strict` (a broken link or anchor, or a page missing from the nav, fails it), the
README's links land on real pages and headings, and every code path either names exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# [text](target) and ![alt](target); the target stops at a space (a title) or ')'
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
# `app/...`, `tests/...` and the like inside backticks: paths in this repository
CODE_PATH = re.compile(
    r"`((?:app|tests|static|models|benchmarks|examples|templates|docs)/[^`\s<>]*)`")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of one config into `site`."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # keep the output to the build's own
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        capture_output=True, text=True, env=env, timeout=120, check=False)


def copy_of_docs(tmp_path: Path) -> Path:
    """mkdocs.yml and docs/ copied into tmp_path, to be broken on purpose."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    return tmp_path / "mkdocs.yml"


def anchors(page: Path) -> set[str]:
    """The ids MkDocs gives a page's headings (the toc extension's slugs)."""
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.DOTALL)
    return {slugify(re.sub(r"[`*_]", "", title), "-") for title in HEADING.findall(text)}


def test_the_docs_build_strictly(tmp_path: Path) -> None:
    result = build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("index", "playground", "spec", "training", "inspection", "lessons", "api",
                 "cli", "deployment", "development"):
        built = tmp_path / "site" / ("index.html" if page == "index" else f"{page}/index.html")
        assert built.is_file(), page


def append(page: Path, text: str) -> None:
    with page.open("a", encoding="utf-8") as out:
        out.write(text)


@pytest.mark.parametrize(("page", "text", "named"), [
    ("cli.md", "\n[gone](no-such-page.md)\n", "no-such-page.md"),
    ("cli.md", "\n[gone](api.md#no-such-heading)\n", "no-such-heading"),
    ("orphan.md", "# Not in the nav\n", "orphan.md"),
], ids=["missing page", "missing anchor", "page outside the nav"])
def test_a_broken_guide_fails_the_build(tmp_path: Path, page: str, text: str,
                                        named: str) -> None:
    config = copy_of_docs(tmp_path)
    append(tmp_path / "docs" / page, text)
    result = build(config, tmp_path / "site")
    assert result.returncode != 0
    assert named in result.stdout + result.stderr


def readme_links() -> list[str]:
    return [target for target in LINK.findall(README.read_text("utf-8"))
            if not re.match(r"[a-z]+:", target)]


def test_the_readme_links_into_the_docs() -> None:
    links = readme_links()
    pages = {link.split("#")[0] for link in links if link.endswith(".md") or ".md#" in link}
    # every page of the guide is one click from the front page
    assert {f"docs/{page.name}" for page in DOCS.glob("*.md")} <= pages
    assert any(link.startswith("docs/screenshots/") for link in links)


@pytest.mark.parametrize("link", readme_links())
def test_each_readme_link_resolves(link: str) -> None:
    path, _, anchor = link.partition("#")
    target = ROOT / path
    assert target.is_file(), f"README links to {path}, which is not a file"
    if anchor:
        assert anchor in anchors(target), f"{path} has no heading #{anchor}"


def test_the_readme_is_a_front_page() -> None:
    text = README.read_text("utf-8")
    assert len(text) < 5000, "the README is the front page: the guide goes in docs/"
    for must in ("make run", "make test", "from app.client import LayerLab", "![", "docs/"):
        assert must in text


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("document", documents(), ids=lambda p: p.name)
def test_code_paths_named_in_the_docs_exist(document: Path) -> None:
    named = set(CODE_PATH.findall(document.read_text("utf-8")))
    missing = sorted(path for path in named
                     if not any(ROOT.glob(path.rstrip("/"))) and not (ROOT / path).exists())
    assert missing == [], f"{document.name} names paths that do not exist: {missing}"


def test_a_missing_path_is_caught() -> None:
    """The path check above can fail: a renamed module is reported."""
    assert CODE_PATH.findall("see `app/runs/records.py` and `app/cli/main.py`") == [
        "app/runs/records.py", "app/cli/main.py"]
    assert not (ROOT / "app/runs/records.py").exists()


# The guide lists what the registries hold; a layer type, dataset, inspect view, task kind,
# setting or command added without its line in the guide fails here, naming it.

def page(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def undocumented(names: object, text: str) -> list[str]:
    """The names that `text` never shows in backticks (alone, or before a query)."""
    return sorted(str(name) for name in names  # type: ignore[attr-defined]
                  if not re.search(rf"`{re.escape(str(name))}[`?]", text))


def test_every_layer_type_is_in_the_spec_page() -> None:
    from app.spec import LAYER_TYPES

    assert undocumented(LAYER_TYPES, page("spec.md")) == []


def test_every_dataset_is_in_the_training_page() -> None:
    from app.datasets import DATASETS

    assert undocumented(DATASETS, page("training.md")) == []


def test_every_task_kind_is_in_the_training_page() -> None:
    from app.train import TASK_KINDS

    assert undocumented(TASK_KINDS, page("training.md")) == []


def test_every_inspect_view_is_in_the_inspection_page() -> None:
    from app.runs.views import VIEWS

    assert undocumented(VIEWS, page("inspection.md")) == []


def test_every_setting_is_in_the_deployment_page() -> None:
    from app.settings import Settings
    from app.spec import SpecLimits

    names = [f"LAYERLAB_{field.upper()}" for field in Settings.model_fields if field != "limits"]
    names += [f"LAYERLAB_LIMITS__{field.upper()}" for field in SpecLimits.model_fields]
    assert undocumented(names, page("deployment.md")) == []


def test_every_command_is_in_the_cli_page() -> None:
    import typer.main

    from app.cli import cli

    text = page("cli.md")
    commands = typer.main.get_command(cli).commands  # type: ignore[attr-defined]
    assert "train" in commands
    missing = []
    for name, command in commands.items():
        subcommands = getattr(command, "commands", {})
        usages = [f"layerlab {name} {sub}" for sub in subcommands] or [f"layerlab {name}"]
        missing += [usage for usage in usages if usage not in text]
    assert missing == []


def test_a_name_missing_from_a_page_is_named() -> None:
    assert undocumented(["dense", "conv9d", "latent/grid"],
                        "`dense` and `latent/grid?steps=15`") == ["conv9d"]
