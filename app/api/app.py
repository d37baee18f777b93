"""The FastAPI application factory."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import __version__
from app.api.built_files import BuiltFiles
from app.api.errors import install_error_handlers
from app.api.links import serve_linked_schema
from app.api.login_limit import LoginThrottle
from app.api.middleware import BodySizeLimit, TokenAuth, UploadsFolder
from app.api.routes import (
    accounts,
    classes,
    datasets,
    health,
    imports,
    inspect,
    layers,
    lesson_results,
    lessons,
    login,
    meta,
    presets,
    runs,
    specs,
    stream,
    sweeps,
    tasks,
)
from app.api.schemas import ErrorOut, Responses
from app.api.stream_slots import StreamSlots
from app.api.streaming import Feeds
from app.api.viewer import guard_path
from app.api.write_guard import WriteGuard
from app.classroom.service import Classroom
from app.datasets import use_uploads_dir
from app.datasets.image_zips import MAX_ZIP_BYTES
from app.nn import analyze
from app.runs.executor import Executor
from app.runs.executors import ExecutorOptions, make_executor
from app.runs.inspection import SubjectCache
from app.runs.service import RunService
from app.runs.sweeps import SweepService
from app.settings import Settings
from app.spec.lessons import load_lessons
from app.spec.presets import networks, read_presets
from app.store import get_store

API_PREFIX = "/api/v1"
COMMON_ERRORS: Responses = {
    400: {"model": ErrorOut, "description": "The body is not valid JSON."},
    403: {"model": ErrorOut, "description": "A POST, PUT, PATCH or DELETE from a page of "
          "another origin (not LAYERLAB_ALLOWED_ORIGINS)."},
    413: {"model": ErrorOut, "description": "The body is over the size limit."},
    415: {"model": ErrorOut, "description": "The body is not of the type the operation "
          "takes (application/json unless it says otherwise)."},
    422: {"model": ErrorOut, "description": "Invalid input; errors name each field."},
}
log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the store and the runs service; runs a previous server left running are
    marked interrupted (they can resume from their last checkpoint)."""
    settings: Settings = app.state.settings
    store = get_store(settings.store_url, **settings.store_options)
    executor = build_executor(settings)
    use_uploads_dir(settings.uploads_dir)  # for work outside requests (sweeps' next runs)
    service = RunService(store, executor, settings.runs_dir, settings.limits,
                         settings.uploads_dir)
    interrupted = service.recover()
    if interrupted:
        log.warning("%d run(s) were interrupted by the last shutdown: %s", len(interrupted),
                    ", ".join(interrupted))
    app.state.runs = service
    app.state.classroom = Classroom(store.accounts())
    sweeps = app.state.sweeps = SweepService(service, store)
    app.state.feeds = Feeds(service.subscribe)
    app.state.stream_slots = StreamSlots(settings.max_streams_per_client)
    app.state.subjects = SubjectCache(service)
    try:
        yield
    finally:
        sweeps.close()  # asks for no more trials: the runs' shutdown ends them
        service.close()
        store.close()


def build_executor(settings: Settings) -> Executor:
    """The executor LAYERLAB_EXECUTOR names, placing runs as the settings say."""
    return make_executor(settings.executor, ExecutorOptions(
        max_concurrent=settings.max_concurrent_runs, per_user=settings.runs_per_user,
        stop_timeout=settings.stop_timeout,
        worker_timeout=settings.worker_timeout,
        memory_mb=settings.worker_memory_mb, ray_address=settings.ray_address,
        ray_cpus_per_run=settings.ray_cpus_per_run, ray_gpus_per_run=settings.ray_gpus_per_run,
        ray_spares=settings.ray_spares))


def operation_id(route: APIRoute) -> str:
    """An operation's id is its handler's name (`get_run`): generated clients name their
    functions after it, and handler names are unique across the routers."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; every preset is validated here, so a broken one fails at start-up."""
    settings = settings or Settings()
    app = FastAPI(title="LayerLab", version=__version__, lifespan=lifespan,
                  description="Build PyTorch networks from JSON layer specs, train them, "
                              "look inside.",
                  generate_unique_id_function=operation_id)
    app.state.settings = settings
    app.state.presets = read_presets(settings.presets_dir)
    app.state.lessons = load_lessons(settings.lessons_dir, networks(app.state.presets))
    for spec in networks(app.state.presets).values():
        # Shown whatever the limits (VGG-16 is over the default max_params); training
        # one checks them. Also warms up the meta-device kernels.
        analyze(spec, settings.limits, enforce=False)
    app.include_router(health.router, prefix=API_PREFIX, responses=COMMON_ERRORS)
    app.include_router(accounts.router, prefix=API_PREFIX, responses=COMMON_ERRORS)
    routers = (layers.router, specs.router, presets.router, lessons.router,
               lesson_results.router, datasets.router, runs.router, inspect.router,
               stream.router, sweeps.router, meta.router, tasks.router, imports.router,
               accounts.guarded, classes.router)
    for router in routers:  # each user sees their own (app.api.viewer), where there are users
        app.include_router(router, prefix=API_PREFIX, responses=COMMON_ERRORS,
                           dependencies=[Depends(guard_path)])
    install_error_handlers(app)
    serve_linked_schema(app)
    app.include_router(login.router)
    app.state.login_throttle = LoginThrottle()
    _mount_ui(app, settings)
    app.add_middleware(UploadsFolder, folder=settings.uploads_dir)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       larger={f"{API_PREFIX}{datasets.IMAGES_PATH}": MAX_ZIP_BYTES,
                               f"{API_PREFIX}{imports.ONNX_PATH}": imports.MAX_ONNX_UPLOAD})
    app.add_middleware(WriteGuard, allowed_origins=settings.allowed_origins, prefix=API_PREFIX,
                       body_types={f"{API_PREFIX}{datasets.UPLOADS_PATH}": datasets.CSV_TYPE,
                                   f"{API_PREFIX}{datasets.IMAGES_PATH}": datasets.ZIP_TYPE,
                                   f"{API_PREFIX}{imports.ONNX_PATH}": imports.ONNX_TYPE})
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    if settings.token:
        docs = {app.openapi_url, app.docs_url, app.redoc_url,
                app.swagger_ui_oauth2_redirect_url}
        app.add_middleware(TokenAuth, token=settings.token, prefix=API_PREFIX,
                           open_paths={f"{API_PREFIX}/health"},
                           step_aside=lambda: _accounts_on(app),
                           guarded_paths=frozenset(p for p in docs if p))
    return app


def _accounts_on(app: FastAPI) -> bool:
    """Whether users sign in as themselves: the server's one token is then not asked for."""
    classroom: Classroom | None = getattr(app.state, "classroom", None)
    return classroom is not None and classroom.enabled()


def _mount_ui(app: FastAPI, settings: Settings) -> None:
    templates = Jinja2Templates(directory=settings.templates_dir)
    app.mount("/static", BuiltFiles(directory=settings.static_dir), name="static")
    manifest = settings.static_dir / "dist" / ".vite" / "manifest.json"

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        """The browser UI's shell page: links the files Vite built (see static/)."""
        entry = None
        if manifest.exists():
            entry = json.loads(manifest.read_text(encoding="utf-8")).get("src/main.tsx")
        return templates.TemplateResponse(request, "index.html", {
            "version": __version__, "presets": networks(app.state.presets), "api": API_PREFIX,
            "entry": entry})
