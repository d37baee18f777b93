"""`layerlab db`: look after the database the server's settings name."""

from __future__ import annotations

import typer

from app.cli.common import console
from app.settings import Settings

db_cli = typer.Typer(help="Look after the server's database (LAYERLAB_DATABASE_URL, or the "
                          "SQLite file in LAYERLAB_HOME).", no_args_is_help=True)


@db_cli.command("vacuum")
def vacuum() -> None:
    """Give the space of deleted runs back to the disk: SQLite's VACUUM (which also turns
    on the incremental vacuuming deletes use, for a database made before it) and a WAL
    truncated to nothing; PostgreSQL's VACUUM ANALYZE. Run it with the server stopped or
    idle: on SQLite the server's writes wait while it runs, and fail after 5 s."""
    from app.store import get_store

    settings = Settings()
    store = get_store(settings.store_url, **settings.store_options)
    try:
        sizes = store.vacuum()
    finally:
        store.close()
    console.print(f"database: {_mib(sizes['database'])} -> {_mib(sizes['database_after'])}")
    if sizes["wal"] or sizes["wal_after"]:
        console.print(f"write-ahead log: {_mib(sizes['wal'])} -> {_mib(sizes['wal_after'])}")


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"
