"""A longer schemathesis run against the JSON API (not part of the tests).

    python benchmarks/api_fuzz.py                 # 100 examples per operation and mode
    python benchmarks/api_fuzz.py --examples 500

The same as tests/test_api_schemathesis.py, with many more generated requests: a live server
on the API test catalogue, every operation of /api/openapi.json called with valid and invalid
requests, anonymously, with a researcher's read token and with an archivist's read-write
token; every answer checked against the document, no server error, and no change made without
a read-write token. Prints the failures per operation and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def main() -> int:
    from tests.api_world import bearer, live_archive, token
    from tests.test_api_schemathesis import fuzz, no_server_error, no_server_error_and_no_change

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="api-fuzz-") as tmp:
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(Path(tmp) / "hypothesis")  # not in the working tree
        with live_archive(Path(tmp), own_process=True, SEARCH={"CONCURRENT_PER_ADDRESS": 0}) as (
            base,
            app,
        ):
            callers = {
                "anonymous": ({}, no_server_error_and_no_change),
                "read token": (bearer(token(app, "researcher")), no_server_error_and_no_change),
                "read-write token": (bearer(token(app, "archivist", "read-write")),
                                     no_server_error),
            }  # fmt: skip
            for name, (headers, check) in callers.items():
                started = time.perf_counter()
                failures = fuzz(base, headers, check, examples=args.examples)
                seconds = time.perf_counter() - started
                print(f"{name}: {len(failures)} failing operation(s), {seconds:.0f} s")
                for failure in failures:
                    print("  " + failure.replace("\n", "\n  "))
                failed += len(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
