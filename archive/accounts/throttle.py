"""Login rate limits, per account and per address, counted in the database or in Redis.

The counts live in the catalogue's database (or, when ``[AUTH] LOGIN_STORE`` names a Redis
server, in Redis), so the limit holds across gunicorn workers and machines sharing it.

An attempt is counted *before* its password is checked, and the count it raised is the one
it is judged by, in one atomic step (an upsert … RETURNING on a counter row; a Redis script
around INCR): ten attempts sent at once see the counts 1 to 10, so only as many as the limit
are checked.  An attempt over a limit gives its count back and is refused; a checked attempt
that fails stays counted; a success clears its account's count and gives back its address's
(only failures count against an address).  A count covers ``LOGIN_WINDOW`` seconds from its
first failure, then starts again.  Accounts are counted by ``normal_email``, so case and
space variants of an address are one account.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from archive.accounts.users import normal_email
from archive.db import db
from archive.models import LoginAttempt, LoginCounter, utcnow
from archive.uow import operation


def _settings() -> dict:
    return current_app.config["AUTH"]


def _keys(email: str, address: str) -> tuple[str, str]:
    return f"account:{normal_email(email)[:254]}", f"address:{address[:64]}"


def _limits() -> tuple[int, int]:
    settings = _settings()
    return int(settings["LOGIN_LIMIT_ACCOUNT"]), int(settings["LOGIN_LIMIT_ADDRESS"])


def begin(email: str, address: str) -> int:
    """Count one login attempt on the account ``email`` from ``address``: 0 when its password
    may be checked now; otherwise how many seconds to wait (and the attempt is not counted)."""
    if _redis() is not None:
        return _redis_begin(*_keys(email, address))
    return _database_begin(*_keys(email, address))


def end(email: str, address: str, *, success: bool) -> None:
    """The attempt ``begin`` let through was checked: a failure stays counted; a success
    clears the account's count and takes the attempt off the address's."""
    account, by_address = _keys(email, address)
    if _redis() is not None:
        _redis_end(account, by_address, success)
        return
    _database_end(account, by_address, success, normal_email(email)[:254], address[:64])


# --- the database -------------------------------------------------------------------------


@operation
def _database_begin(account: str, by_address: str) -> int:
    window = timedelta(seconds=int(_settings()["LOGIN_WINDOW"]))
    now = utcnow()
    wait = 0
    for key, limit in zip((account, by_address), _limits(), strict=True):
        count, started = _count_one_more(key, now, now - window)
        if count > limit:
            wait = max(wait, int((started + window - now).total_seconds()) + 1)
    if wait:  # refused: this attempt is not checked, so it does not count
        _give_back(account, by_address)
    return wait


def _count_one_more(key: str, now, since) -> tuple[int, object]:
    """Raise the count of ``key`` (from 1 again when its window is over) and return it, with
    the window's start, in one statement."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    expired = LoginCounter.started <= since
    statement = (
        insert(LoginCounter)
        .values(key=key, count=1, started=now)
        .on_conflict_do_update(
            index_elements=[LoginCounter.key],
            set_={
                "count": case((expired, 1), else_=LoginCounter.count + 1),
                "started": case((expired, now), else_=LoginCounter.started),
            },
        )
        .returning(LoginCounter.count, LoginCounter.started)
    )
    return tuple(db.session.execute(statement).one())


def _give_back(*keys: str) -> None:
    db.session.execute(
        update(LoginCounter)
        .where(LoginCounter.key.in_(keys), LoginCounter.count > 0)
        .values(count=LoginCounter.count - 1)
    )


@operation
def _database_end(account: str, by_address: str, success: bool, email: str, address: str):
    if success:
        db.session.execute(delete(LoginCounter).where(LoginCounter.key == account))
        _give_back(by_address)
    # Each attempt is also kept a day, for the admins (who tried which account, from where).
    db.session.add(LoginAttempt(email=email, address=address, success=success))
    now, window = utcnow(), timedelta(seconds=int(_settings()["LOGIN_WINDOW"]))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    # counts whose window is long over (a spray of made-up addresses leaves many)
    kept = max(window, timedelta(days=1))
    db.session.execute(delete(LoginCounter).where(LoginCounter.started < now - kept))


# --- Redis ---------------------------------------------------------------------------------
# One counter per account and per address, expiring with its window; the scripts run
# atomically in Redis, so every web process and host sees one count.

_clients: dict[str, object] = {}
PREFIX = "archive:login-count:"  # not the sorted sets of older versions

# KEYS: account, address; ARGV: window, account limit, address limit -> seconds to wait
BEGIN = """
local counts, wait = {}, 0
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[1], 'NX')
  counts[i] = redis.call('INCR', key)
end
for i, key in ipairs(KEYS) do
  if counts[i] > tonumber(ARGV[i + 1]) then
    wait = math.max(wait, redis.call('TTL', key), 1)
  end
end
if wait > 0 then
  for _, key in ipairs(KEYS) do redis.call('DECR', key) end
end
return wait
"""
# KEYS: account, address; ARGV: 1 for a success -> nothing
END = """
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
end
return 0
"""


def _redis():
    url = _settings().get("LOGIN_STORE") or ""
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=5)
    return _clients[url]


def _redis_begin(account: str, by_address: str) -> int:
    window = int(_settings()["LOGIN_WINDOW"])
    keys = [PREFIX + account, PREFIX + by_address]
    return int(_redis().eval(BEGIN, 2, *keys, window, *_limits()))


def _redis_end(account: str, by_address: str, success: bool) -> None:
    _redis().eval(END, 2, PREFIX + account, PREFIX + by_address, "1" if success else "0")
