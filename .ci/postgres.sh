#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the test suite.
#   eval "$(bash .ci/postgres.sh start)"   # installs PostgreSQL from the distribution if missing, starts it,
#                                           # prints the exports the PostgreSQL-marked tests read
#   bash .ci/postgres.sh stop               # stops it and removes its data directory
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_server() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -z "$(find_bin)" ]; then
      echo "installing PostgreSQL from the distribution's packages" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
    fi
    bin="$(find_bin)"
    dir="$(mktemp -d /tmp/ecom-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >&2
    echo "export ECOM_PIPELINE_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    echo "export ECOM_PIPELINE_TEST_POSTGRES_DIR=$dir"
    ;;
  stop)
    dir="${ECOM_PIPELINE_TEST_POSTGRES_DIR:?start it first}"
    as_server "$(find_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
