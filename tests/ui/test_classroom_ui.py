"""A class, played in real browsers at 1280x800 on a server with accounts: a teacher
signs in, makes a class and sets the network in the editor as an assignment; two students
(one in Spanish) sign in, join with the invite code, open it, train and hand their runs in
(one passes, one does not); the teacher's dashboard shows who passed, and the marks
download as CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from app.classroom.service import Classroom
from app.settings import Settings
from tests.conftest import serving_app
from tests.ui.conftest import SCREENSHOTS
from tests.ui.test_playground import set_field

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
# Signed out, the page's first request is refused (401) before it shows the sign-in form.
EXPECTED = ("responded with a status of 401 (Unauthorized)",)
WORDS = {  # what each language's UI calls what the students use
    "en": {"name": "Name", "password": "Password", "sign in": "Sign in", "class": "Class",
           "join": "Join a class with its invite code", "join button": "Join",
           "open": "Open in the editor", "train": "Train", "completed": "completed",
           "hand in": "Hand in the open run", "palette": "Layer palette",
           "palette hidden": "The assignment hides the layer palette."},
    "es": {"name": "Nombre", "password": "Contraseña", "sign in": "Entrar", "class": "Clase",
           "join": "Unirse a una clase con su código de invitación", "join button": "Unirse",
           "open": "Abrir en el editor", "train": "Entrenar", "completed": "completada",
           "hand in": "Entregar la ejecución abierta", "palette": "Paleta de capas",
           "palette hidden": "La tarea oculta la paleta de capas."},
}


@pytest.fixture(scope="module")
def class_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_app(Settings(home=tmp_path_factory.mktemp("class-home"))) as (url, app):
        _accounts(app)
        yield url


def _accounts(app: FastAPI) -> None:
    classroom: Classroom = app.state.classroom
    classroom.create_user("ms-lee", PASSWORD, "teacher")
    for student in ("ana", "ben"):
        classroom.create_user(student, PASSWORD, "student")


class Person:
    """One browser of the class (its own cookies and language), signed in as `name`."""

    def __init__(self, browser: Browser, url: str, name: str, lang: str = "en") -> None:
        self.words = WORDS[lang]
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1280, "height": 800}, base_url=url, locale=lang,
            accept_downloads=True)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto("/")
        self.page.get_by_label(self.words["name"]).fill(name)
        self.page.get_by_label(self.words["password"]).fill(PASSWORD)
        self.page.get_by_role("button", name=self.words["sign in"]).click()
        expect(self.page.get_by_role("tab", name=self.words["class"])).to_be_visible()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.endswith(EXPECTED):
            self.errors.append(message.text)

    def class_tab(self) -> None:
        self.page.get_by_role("tab", name=self.words["class"]).click()
        expect(self.page.get_by_test_id("classroom")).to_be_visible()

    def close(self, shot: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"classroom-{shot}.png")
        self.context.close()
        assert not self.errors, f"{shot}'s console reported errors: {self.errors}"


def _train_and_hand_in(student: Person, invite: str, epochs: str | None = None) -> None:
    page, words = student.page, student.words
    student.class_tab()
    page.get_by_label(words["join"]).fill(invite)
    page.get_by_role("button", name=words["join button"], exact=True).click()
    page.get_by_role("button", name=words["open"]).click()
    expect(page.get_by_test_id("assignment-banner")).to_contain_text("Bend the boundary")
    # the assignment hides the palette, and says so where it was
    expect(page.get_by_role("navigation", name=words["palette"])).to_have_count(0)
    expect(page.get_by_text(words["palette hidden"])).to_be_visible()
    if epochs is not None:
        set_field(page, "epochs", epochs)
    page.get_by_role("button", name=words["train"], exact=True).click()
    expect(page.get_by_test_id("run-status")).to_have_text(words["completed"], timeout=120_000)
    student.class_tab()
    page.get_by_role("button", name=words["hand in"]).click()
    expect(page.get_by_test_id("submissions").locator("li")).to_have_count(1)


def test_a_class_sets_trains_hands_in_and_is_marked(browser: Browser, class_url: str) -> None:
    teacher = Person(browser, class_url, "ms-lee")
    page = teacher.page
    expect(page.get_by_role("navigation", name="Layer palette")).to_be_visible()
    teacher.class_tab()
    page.get_by_label("New class").fill("Deep learning 101")
    page.get_by_role("button", name="Create", exact=True).click()
    code = page.get_by_test_id("invite-code")
    expect(code).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
    invite = code.inner_text().strip()
    form = page.get_by_role("form", name="Set an assignment")
    form.get_by_label("Title").fill("Bend the boundary")
    form.get_by_label("Value").fill("0.8")
    form.get_by_label("the layer palette").check()
    form.get_by_role("button", name="Set this network as an assignment").click()
    expect(page.get_by_role("button", name="Bend the boundary")).to_be_visible()

    ana = Person(browser, class_url, "ana")
    _train_and_hand_in(ana, invite)
    expect(ana.page.get_by_test_id("submissions").locator("li")).to_have_attribute(
        "data-passed", "true", timeout=30_000)
    ben = Person(browser, class_url, "ben", lang="es")
    _train_and_hand_in(ben, invite, epochs="1")
    expect(ben.page.get_by_test_id("submissions").locator("li")).to_have_attribute(
        "data-passed", "false", timeout=30_000)
    ana.close("student")
    ben.close("student-es")

    page.get_by_role("button", name="Bend the boundary").click()
    board = page.get_by_test_id("class-dashboard")
    status = "tr[data-student='{}'] [data-testid='student-status']"
    expect(board.locator(status.format("ana"))).to_have_text("passed")
    expect(board.locator(status.format("ben"))).to_have_text("submitted · not passed")
    with page.expect_download() as download:
        page.get_by_test_id("marks-csv").click()
    marks = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8"))))
    assert [(m["student"], m["status"], m["passed"]) for m in marks] == [
        ("ana", "passed", "true"), ("ben", "submitted", "false")]
    teacher.close("teacher")
