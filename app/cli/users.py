"""`layerlab users`: accounts on the server's database. The first one made turns
accounts on: from then on everyone signs in, and each sees their own work."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import console
from app.settings import Settings

if TYPE_CHECKING:
    from app.classroom.service import Classroom

users_cli = typer.Typer(help="Accounts of a classroom (teachers and students) on the "
                             "server's database.", no_args_is_help=True)
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (for scripts) "
                             "instead of asking for it.")]


@contextmanager
def _classroom() -> Iterator[Classroom]:
    from app.classroom.service import Classroom
    from app.store import get_store

    settings = Settings()
    store = get_store(settings.store_url, **settings.store_options)
    try:
        yield Classroom(store.accounts())
    finally:
        store.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def accounts_exist(settings: Settings) -> bool:
    """Whether the database the settings name has any account (users sign in); a SQLite
    file that does not exist yet has none, and is not made by asking."""
    from sqlalchemy.engine import make_url

    from app.store import get_store

    url = make_url(settings.store_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return False
    store = get_store(settings.store_url, **settings.store_options)
    try:
        return store.accounts().user_count() > 0
    finally:
        store.close()


@users_cli.command("create")
def create(name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
           teacher: Annotated[bool, typer.Option(
               "--teacher", help="A teacher (makes classes and assignments); default: "
                                 "a student.")] = False,
           password_stdin: PasswordStdin = False) -> None:
    """Make an account. The first one turns accounts on for the server."""
    from app.classroom.service import ClassroomError

    with _classroom() as classroom:
        first = classroom.store.user_count() == 0
        try:
            user = classroom.create_user(name, _password(password_stdin),
                                         "teacher" if teacher else "student")
        except ClassroomError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    console.print(f"made {user.role} {user.name}")
    if first:
        console.print("accounts are on: everyone signs in from now on")


@users_cli.command("password")
def password(name: Annotated[str, typer.Argument(help="Whose password.")],
             password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (it signs them out everywhere)."""
    from app.classroom.service import ClassroomError

    with _classroom() as classroom:
        user = classroom.store.user_named(name)
        if user is None:
            console.print(f"[red]error:[/red] no user named {name!r}")
            raise typer.Exit(2)
        try:
            classroom.set_password(user, _password(password_stdin))
        except ClassroomError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    console.print(f"set the password of {name}")


@users_cli.command("token")
def token(name: Annotated[str, typer.Argument(help="Whose token.")],
          label: Annotated[str, typer.Option(help="What it is for.")] = "script") -> None:
    """Make an API token for a user's scripts (LAYERLAB_TOKEN for the client and CLI),
    printed this once."""
    with _classroom() as classroom:
        user = classroom.store.user_named(name)
        if user is None:
            console.print(f"[red]error:[/red] no user named {name!r}")
            raise typer.Exit(2)
        print(classroom.new_token(user, label))
