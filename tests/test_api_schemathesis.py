"""schemathesis against the API's own OpenAPI document, on a live server over TCP.

The server is the real app (gunicorn, as `archive serve` starts it, in a process of its own) on a
catalogue made by the real operations (``tests/api_world.py``). Every operation of the
document is called with generated requests, anonymously and with a staff read-write token:
no answer may be a server error, every answer must match the document (status, content type,
headers, body schema), and no change may succeed without a token. The number of examples is
small so that this fits in the suite; ``benchmarks/api_fuzz.py`` runs the same for longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.api_world import bearer, live_archive, token

EXAMPLES = 5
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: gunicorn answers a request line over 4094 bytes itself (an HTML 414), before the app: a
#: limit of the server in front, not an answer of the API, so it is not checked here.
TOO_LONG = 414


@dataclass
class LiveApi:
    base_url: str
    writer: str  # a staff read-write token
    reader: str  # a researcher's read token


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    """The API test catalogue, served over TCP."""
    folder = tmp_path_factory.mktemp("api-live")
    set_hypothesis_home_dir(folder / "hypothesis")  # its caches: not in the working tree
    # The fuzzer runs one search at a time: no per-address limit to trip over.
    with live_archive(folder, own_process=True, SEARCH={"CONCURRENT_PER_ADDRESS": 0}) as (
        base_url,
        app,
    ):
        writer, reader = token(app, "archivist", "read-write"), token(app, "researcher")
        yield LiveApi(base_url, writer, reader)
    set_hypothesis_home_dir(None)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to the working tree
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


#: A request the document calls valid may still be refused for what no schema says: a date
#: that does not exist, an item with no title in either language, a cursor the archive did
#: not give (422), a change without the item's current ETag (428, 412), a body over
#: ``[SERVER] MAX_FORM_BYTES`` (413); and 413 refuses an invalid body too.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "410", "412",
                                      "413", "422", "428", "429"],
            },
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413",
                                      "415", "422", "428", "429"],
            },
        }
    }
)  # fmt: skip


def fuzz(base_url: str, headers: dict, check_answer, *, examples: int = EXAMPLES) -> list[str]:
    """Every operation of the live document, with valid and invalid generated requests, each
    answer validated against the document by schemathesis's checks and by ``check_answer``;
    the failures, one line per operation (the pytest plugin of schemathesis 4 does not run
    under pytest 9, so its Python API is driven here, with Hypothesis)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json", config=CONFIG)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(FUZZ, max_examples=examples)
            def run(case):
                response = case.call(headers=headers)
                if response.status_code == TOO_LONG:
                    return  # refused by gunicorn before the app (its request-line limit)
                case.validate_response(response, headers=headers)
                check_answer(case, response)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # all operations run
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:3000])
    return failures


def no_server_error_and_no_change(case, response) -> None:
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"
    if case.method.upper() in WRITES:
        assert not 200 <= response.status_code < 300, (
            f"{case.method} {case.path} succeeded ({response.status_code}) without a "
            "read-write token"
        )


def no_server_error(case, response) -> None:
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"


@pytest.mark.slow  # a live server, every operation, generated requests
def test_anonymous_calls_match_the_document_and_change_nothing(live_api):
    failures = fuzz(live_api.base_url, {}, no_server_error_and_no_change)
    assert failures == [], "\n\n".join(failures)


@pytest.mark.slow  # a live server, every operation, generated requests
def test_calls_with_a_read_token_change_nothing(live_api):
    failures = fuzz(live_api.base_url, bearer(live_api.reader), no_server_error_and_no_change)
    assert failures == [], "\n\n".join(failures)


@pytest.mark.slow  # a live server, every operation, generated requests
def test_calls_with_a_read_write_token_match_the_document(live_api):
    failures = fuzz(live_api.base_url, bearer(live_api.writer), no_server_error)
    assert failures == [], "\n\n".join(failures)


def test_the_live_document_is_served_where_partners_find_it(live_api):
    import httpx

    document = httpx.get(f"{live_api.base_url}/api/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": live_api.base_url}]
    assert Path(__file__).name  # (the module ran on a live server)
