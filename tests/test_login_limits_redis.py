"""The same login limits, counted in a real Redis server (``[AUTH] LOGIN_STORE``)."""

from __future__ import annotations

import pytest
import redis

from archive import create_app, migrate
from archive.accounts.users import create_user
from archive.db import db
from archive.models import LoginAttempt
from tests.conftest import PASSWORD
from tests.redis_server import throwaway_redis
from tests.test_login_limits import (  # noqa: F401 (run again here, on Redis)
    attempt,
    test_a_success_clears_the_account_count,
    test_an_account_waits_after_five_failures,
    test_an_address_waits_after_twenty_failures,
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with throwaway_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def app(tmp_path, redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    config = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "SECRET_KEY": "test",
        "QUEUE": {"IMMEDIATE": True},
        "AUTH": {"LOGIN_STORE": redis_url},
    }
    app = create_app(config)
    with app.app_context():
        migrate.upgrade()
        create_user("admin@example.org", PASSWORD, "admin")
        create_user("archivist@example.org", PASSWORD, "archivist")
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_counts_are_in_redis_not_in_the_database(app, client, auth, redis_url):
    for _ in range(3):
        attempt(client, auth, "archivist@example.org", "wrong")
    store = redis.Redis.from_url(redis_url)
    assert int(store.get("archive:login-count:account:archivist@example.org")) == 3
    assert int(store.get("archive:login-count:address:10.0.0.1")) == 3
    assert store.ttl("archive:login-count:account:archivist@example.org") > 0
    with app.app_context():
        assert db.session.query(LoginAttempt).count() == 0


def test_the_count_holds_across_app_instances(app, client, auth, redis_url):
    """Another process (here: another app, with its own database) sees the same count."""
    from tests.conftest import Auth

    for _ in range(5):
        attempt(client, auth, "archivist@example.org", "wrong")
    other = create_app(
        {
            "INSTANCE_PATH": app.instance_path + "-other",
            "TESTING": True,
            "SECRET_KEY": "test",
            "AUTH": {"LOGIN_STORE": redis_url},
        }
    )
    with other.app_context():
        migrate.upgrade()
        create_user("archivist@example.org", PASSWORD, "archivist")
        db.session.remove()
    with other.test_client() as second:
        response = attempt(second, Auth(second), "archivist@example.org", PASSWORD)
        assert response.status_code == 429
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_parallel_failures_are_counted_one_by_one_in_redis(app, redis_url):
    """Ten wrong passwords sent at once: only the limit's worth are checked (Redis INCR)."""
    from tests.test_login_race import check_parallel_failures_are_limited

    check_parallel_failures_are_limited(app)
    store = redis.Redis.from_url(redis_url)
    assert int(store.get("archive:login-count:account:archivist@example.org")) == 5
