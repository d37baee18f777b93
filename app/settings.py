"""Server settings, read from LAYERLAB_* environment variables."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.spec import SpecLimits
from app.spec.limits import batch_memory_bound_mb
from app.store import data_folder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# A token guards everything the server can do, so it must resist guessing: 32 characters
# with at least 8 distinct ones is ~128 bits or more for a random token
# (`python -c "import secrets; print(secrets.token_urlsafe(32))"`), and refuses the
# repeated or patterned strings people type by hand.
MIN_TOKEN_LENGTH = 32
MIN_TOKEN_DISTINCT = 8


class Settings(BaseSettings):
    """Everything has an embedded default: `layerlab serve` needs no configuration.

    Nested values use a double underscore, e.g. LAYERLAB_LIMITS__MAX_PARAMS=1000000.
    """

    model_config = SettingsConfigDict(env_prefix="LAYERLAB_", env_nested_delimiter="__",
                                      extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address to bind.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to bind.")
    token: str | None = Field(
        default=None,
        description=f"Bearer token required on the API, docs and schema; needed to bind a "
                    f"non-loopback host. At least {MIN_TOKEN_LENGTH} characters, "
                    f"{MIN_TOKEN_DISTINCT} of them distinct.",
    )
    home: Path = Field(
        default_factory=data_folder,
        description="Where the database (by default), the runs' files and uploaded "
                    "tables live; downloaded datasets are kept in LAYERLAB_DATA_DIR.",
    )
    database_url: str | None = Field(
        default=None,
        description="sqlite:///path.db or postgresql+psycopg://...; default: SQLite in home.",
    )
    database_pool_size: int = Field(
        default=8, ge=1, le=1000,
        description="PostgreSQL connections kept open (the recorder thread and request "
                    "threads each hold one only for a call).")
    database_max_overflow: int = Field(
        default=16, ge=0, le=1000,
        description="PostgreSQL connections opened beyond the pool in a burst, closed after.")
    database_pool_recycle: float = Field(
        default=1800.0, gt=0,
        description="Seconds after which a PostgreSQL connection is replaced.")
    database_pool_timeout: float = Field(
        default=30.0, gt=0, le=600,
        description="Seconds a call waits for a free PostgreSQL connection before failing.")
    server_id: str = Field(
        default="", max_length=128,
        description="This server's name in a database several servers share: it owns the "
                    "runs it queues and trains, and at start-up interrupts only its own "
                    "unfinished runs. Default: the host name and a hash of home, the same "
                    "after a restart.")
    max_concurrent_runs: int = Field(default=2, ge=1, le=64,
                                     description="Runs at once (the local executor; "
                                                 "on Ray its resources decide).")
    runs_per_user: int = Field(default=2, ge=1, le=64, description=(
        "On a server with accounts: a user's runs training at once; the rest wait their "
        "turn, and the queue takes users in turn (round-robin), not first come first "
        "served."))
    gpu_minutes_per_user: float | None = Field(default=None, gt=0, description=(
        "On a server with accounts: the GPU time a user's runs may take in all; past it, "
        "their new runs are refused (none: no limit)."))
    stop_timeout: float = Field(
        default=10.0, gt=0, le=600, description="Seconds a run gets to stop before it is killed."
    )
    worker_timeout: float = Field(
        default=120.0, gt=0, le=86_400,
        description="Seconds a training worker may go without a heartbeat from its process "
                    "(its training, once started, without an event: ten times that) before "
                    "its run fails with 'the worker stopped responding' and the worker is "
                    "killed and replaced; keep ten times it above the slowest report interval "
                    "or evaluation of your runs.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host headers to answer; default: loopback names and the bound host.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins whose pages may open websockets and send POST, PUT, "
                    "PATCH and DELETE requests (the server's own origin always may; "
                    "requests without an Origin header, from scripts, always may).",
    )
    max_streams_per_client: int = Field(
        default=20, ge=1, le=100_000,
        description="Run streams (websockets) one client address may hold open at once; "
                    "one more is closed with code 1013 (try again later). Behind a proxy "
                    "every browser shares the proxy's address: raise it there.",
    )
    worker_memory_mb: int | None = Field(
        default=None, ge=256,
        description="Most memory one training worker (a local process or a Ray actor) may "
                    "allocate on the CPU (its data size, PyTorch's own ~0.3 GB included); a "
                    "run over it fails with 'out of memory'. Default: no limit.",
    )
    executor: Literal["local", "ray"] = Field(
        default="local",
        description="Where runs train: local worker processes, or Ray (pip install "
                    "'layerlab[ray]'), on a cluster at ray_address or a local one.",
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster to join, from a node of it (auto, or the head's "
                    "host:6379); default: start a local Ray on this machine, loopback "
                    "only, no dashboard.",
    )
    ray_cpus_per_run: float = Field(default=1.0, gt=0, le=256,
                                    description="CPUs each run asks Ray for.")
    ray_gpus_per_run: float = Field(
        default=0.0, ge=0, le=64,
        description="GPUs each run asks Ray for (a fraction shares one); runs whose device "
                    "is cpu ask for none, runs on cuda for at least one.",
    )
    ray_spares: int = Field(
        default=1, ge=0, le=64,
        description="Warm Ray actors kept ready while nothing runs (each holds a run's "
                    "resources), so a run starts without waiting for PyTorch's imports.",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body.")
    image_folders_root: Path | None = Field(
        default=None,
        description="A folder on the server whose subfolders users may name as image "
                    "datasets (POST /datasets/images/folders; each copied into the uploads, "
                    "within their quota); none: image folders are uploaded as zips only.")
    upload_quota_bytes: int = Field(
        default=500_000_000, ge=0,
        description="Most bytes the uploaded CSV tables (in home/uploads) may take "
                    "together; an upload over it is refused until some are deleted.")
    limits: SpecLimits = Field(default_factory=SpecLimits)
    presets_dir: Path = Field(default=PROJECT_ROOT / "models", description="Preset specs.")
    lessons_dir: Path = Field(default=PROJECT_ROOT / "models" / "lessons",
                              description="Guided lessons.")
    templates_dir: Path = Field(default=PROJECT_ROOT / "templates")
    static_dir: Path = Field(default=PROJECT_ROOT / "static")

    @field_validator("token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("token")
    @classmethod
    def _strong_token(cls, value: str | None) -> str | None:
        if value is not None and (len(value) < MIN_TOKEN_LENGTH
                                  or len(set(value)) < MIN_TOKEN_DISTINCT):
            raise ValueError(
                f"the token is too weak: use at least {MIN_TOKEN_LENGTH} characters with "
                f"{MIN_TOKEN_DISTINCT}+ distinct ones, e.g. the output of "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return value

    @model_validator(mode="after")
    def _default_server_id(self) -> Settings:
        if not self.server_id:
            home = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
            self.server_id = f"{socket.gethostname()[:100]}-{home}"
        return self

    @model_validator(mode="after")
    def _default_batch_bound(self) -> Settings:
        if self.limits.max_batch_activation_mb is None:
            bound = round(batch_memory_bound_mb(self.worker_memory_mb), 1)
            self.limits = self.limits.model_copy(update={"max_batch_activation_mb": bound})
        return self

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'layerlab.db').as_posix()}"

    @property
    def store_options(self) -> dict[str, Any]:
        """get_store's keyword arguments beyond the URL."""
        from app.store.engine import PoolSettings  # SQLAlchemy only once a store opens

        pool = PoolSettings(pool_size=self.database_pool_size,
                            max_overflow=self.database_max_overflow,
                            pool_recycle=self.database_pool_recycle,
                            pool_timeout=self.database_pool_timeout)
        return {"pool": pool, "server_id": self.server_id}

    @property
    def trusted_hosts(self) -> list[str]:
        return self.allowed_hosts or sorted(LOOPBACK_HOSTS | {self.host})

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    def check_exposure(self, accounts: bool = False) -> None:
        """Refuse to listen beyond this machine without an access token, or accounts
        (`accounts`: the database has users, who each sign in)."""
        if self.host not in LOOPBACK_HOSTS and not self.token and not accounts:
            raise ValueError(
                f"binding {self.host} exposes LayerLab to the network: set "
                f"LAYERLAB_TOKEN ({MIN_TOKEN_LENGTH}+ characters) first, or make accounts "
                "(layerlab users create --teacher NAME)"
            )
