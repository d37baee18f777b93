"""The HTTP API: REST under /api/v1, OpenAPI docs at /docs."""

from app.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
