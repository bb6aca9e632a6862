#!/usr/bin/env bash
# HTTP benchmark: gunicorn (gthread, 8 threads a worker, as `archive serve` starts it) on a
# temporary instance holding the demo collection; wrk (Debian's package) drives the listening
# page, the home page, a search page and the JSON API (a page of items, one item, a search),
# and this prints requests/s and p50/p99 latency for each, for every worker count asked for,
# side by side in one run. Not part of `make test`.
# Goal: >= 200 requests/s for the listening page, p99 < 100 ms.
#   benchmarks/http.sh [--database URL] [--search whoosh|postgresql] [--workers "1 2 4"]
#                      [SECONDS] [CONNECTIONS]
# --database: a PostgreSQL server (postgresql+psycopg://postgres@127.0.0.1/test): the catalogue
#   goes into a new database made on it for the run and dropped after; default SQLite.
# --search: the search backend ([SEARCH] BACKEND); default the archive's own default.
# --workers: gunicorn worker counts to measure, one after the other; default 2.
set -euo pipefail
cd "$(dirname "$0")/.."
database="" search="" workers="2"
while [[ $# -gt 0 && $1 == --* ]]; do
  case "$1" in
    --database) database=$2; shift 2 ;;
    --search) search=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
duration=${1:-20}
connections=${2:-8}
scripts/system-deps.sh wrk ffmpeg espeak-ng
bin=.venv/bin
instance=$(mktemp -d /tmp/bench-http-XXXXXX)
server=""
made_database=""
cleanup() {
  [[ -n $server ]] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  if [[ -n $made_database ]]; then
    $bin/python - "$database" "$made_database" <<'EOF' || true
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    connection.execute(text(f"DROP DATABASE IF EXISTS {sys.argv[2]} WITH (FORCE)"))
EOF
  fi
  rm -rf "$instance"
}
trap cleanup EXIT

config=$instance/config.toml
: > "$config"
if [[ -n $database ]]; then
  made_database=bench_http_$$
  target=$($bin/python - "$database" "$made_database" <<'EOF'
import sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    connection.execute(text(f"CREATE DATABASE {sys.argv[2]} ENCODING 'UTF8'"))
print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))
EOF
)
  echo "DATABASE_URL = \"$target\"" >> "$config"
fi
# Every connection comes from 127.0.0.1: lift the per-address limit on concurrent searches.
printf '[SEARCH]\nCONCURRENT_PER_ADDRESS = 0\n' >> "$config"
[[ -n $search ]] && printf 'BACKEND = "%s"\n' "$search" >> "$config"
export ARCHIVE_INSTANCE=$instance/instance ARCHIVE_CONFIG=$config
export ARCHIVE_ADMIN_PASSWORD="benchmark password"
$bin/archive init > /dev/null
$bin/archive demo > /dev/null
port=$($bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

query=$($bin/python -c 'import urllib.parse; print(urllib.parse.quote("الاسري"))')
pages=(
  "listening:/items/DEMO-002" "home:/" "search:/search?q=$query"
  "api items:/api/v1/items?limit=20" "api item:/api/v1/items/DEMO-002"
  "api search:/api/v1/search?q=$query"
)
engine=SQLite
[[ -n $database ]] && engine="PostgreSQL ($made_database, dropped after)"
echo "database: $engine, search: ${search:-default};" \
  "$connections connections, ${duration}s each, gthread x 8 threads a worker"
printf '%-8s %-14s %12s %10s %10s\n' workers page requests/s p50 p99
for count in $workers; do
  $bin/python -m gunicorn --bind 127.0.0.1:"$port" --workers "$count" --worker-class gthread \
    --threads 8 archive.wsgi:app 2>> "$instance/gunicorn.log" &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.2; done
  for entry in "${pages[@]}"; do
    name=${entry%%:*}
    path=${entry#*:}
    if ! status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path") \
        || [[ $status != 200 ]]; then   # fail loudly on an error
      echo "$name: GET $path answered ${status:-nothing}; the server's log ends:" >&2
      tail -n 20 "$instance/gunicorn.log" >&2
      exit 1
    fi
    # a server that has been running: every worker warm (first renders, caches, connections)
    wrk -t2 -c"$connections" -d3s "http://127.0.0.1:$port$path" > /dev/null
    out=$(wrk --latency -t2 -c"$connections" -d"${duration}s" "http://127.0.0.1:$port$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out")
    p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
    errors=$(grep -E "Non-2xx|Socket errors" <<< "$out" || true)
    printf '%-8s %-14s %12s %10s %10s %s\n' "$count" "$name" "$rps" "$p50" "$p99" "$errors"
  done
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
done
echo "(load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
