#!/usr/bin/env bash
# HTTP benchmark of the public pages: gunicorn (2 workers, as `archive serve` starts it) on a
# temporary instance holding the demo collection; wrk (Debian's package) drives the listening
# page, the home page and a search page, and this prints requests/s and p99 latency for each.
# Not part of `make test`. Goal: >= 200 requests/s for the listening page, p99 < 100 ms.
#   benchmarks/http.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-8}
scripts/system-deps.sh wrk ffmpeg espeak-ng
bin=.venv/bin
instance=$(mktemp -d /tmp/bench-http-XXXXXX)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$instance"' EXIT
export ARCHIVE_INSTANCE=$instance ARCHIVE_ADMIN_PASSWORD="benchmark password"
$bin/archive init > /dev/null
$bin/archive demo > /dev/null
port=$($bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$bin/python -m gunicorn --bind 127.0.0.1:"$port" --workers 2 --worker-class gthread --threads 8 \
  archive.wsgi:app 2> "$instance/gunicorn.log" &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.2; done

search=$($bin/python -c 'import urllib.parse; print(urllib.parse.quote("الاسري"))')
printf '%-22s %12s %10s %10s\n' page requests/s p50 p99
for entry in "listening:/items/DEMO-002" "home:/" "search:/search?q=$search"; do
  name=${entry%%:*}
  path=${entry#*:}
  curl -fs -o /dev/null "http://127.0.0.1:$port$path"   # fail loudly on an error
  # a server that has been running: both workers warm (first renders, caches, connections)
  wrk -t2 -c"$connections" -d3s "http://127.0.0.1:$port$path" > /dev/null
  out=$(wrk --latency -t2 -c"$connections" -d"${duration}s" "http://127.0.0.1:$port$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
  p50=$(awk '$1 == "50%" {print $2}' <<< "$out")
  p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<< "$out" || true)
  printf '%-22s %12s %10s %10s %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
done
echo "($connections connections, ${duration}s each, 2 gunicorn workers x 8 threads, load: $(cut -d' ' -f1-3 /proc/loadavg))"
