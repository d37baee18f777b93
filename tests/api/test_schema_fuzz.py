"""Schemathesis over the whole OpenAPI schema, against a real server on loopback:
no 5xx, every answer matches its schema.

One check is left out: `positive_data_acceptance` expects every schema-valid request
to succeed, but a network can be well-formed JSON and still not build (a dense layer
on token ids, an input id that names no layer): those 422s are the point of the API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.settings import Settings
from tests.api.test_image_uploads import shapes_zip
from tests.conftest import serving

pytestmark = pytest.mark.slow
EXAMPLES = 25
# an image folder's zip, or bytes that are not one (the route's 422)
schemathesis.openapi.media_type("application/zip", st.one_of(
    st.just(shapes_zip()), st.binary(max_size=256)))


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: the runs the fuzzer queues must not delay other tests."""
    with serving(Settings(home=tmp_path_factory.mktemp("fuzz-home"))) as url:
        yield url


def test_every_operation_answers_by_its_schema(fuzzed_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()
