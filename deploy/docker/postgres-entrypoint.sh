#!/bin/bash
# Entrypoint of pancode/postgres:dev. First start (empty $PGDATA): initdb with $POSTGRES_USER as superuser and
# $POSTGRES_PASSWORD as its password, then create $POSTGRES_DB. Every start: exec postgres as the postgres user,
# listening on $POSTGRES_LISTEN_ADDRESSES (default *) port $PGPORT. Extra arguments go to postgres (`-c k=v`).
set -euo pipefail

: "${PGDATA:?PGDATA is not set}"
: "${POSTGRES_USER:=pancode}"
: "${POSTGRES_DB:=pancode}"
: "${POSTGRES_LISTEN_ADDRESSES:=*}"
: "${PGPORT:=5432}"

# Postgres refuses to run as root: drop to the postgres user when started as root (the default).
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

if [[ $(id -u) -eq 0 ]]; then
  # A bind-mounted or freshly created volume may belong to root; postgres insists on owning a 0700 data dir.
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  if [[ -z "${POSTGRES_PASSWORD:-}" ]]; then
    echo "postgres: POSTGRES_PASSWORD is required to initialise $PGDATA (it protects every TCP connection)" >&2
    exit 1
  fi
  echo "postgres: initialising $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)" >&2
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  # trust on the local socket only (inside this container); every TCP client must present the password.
  as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "host all all ::/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [[ "$POSTGRES_DB" != "postgres" ]]; then
    # Single-user mode: no socket or port is opened while the database is created.
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" |
      as_postgres postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi

drop=()
[[ $(id -u) -eq 0 ]] && drop=(setpriv --reuid=postgres --regid=postgres --init-groups --)
exec "${drop[@]}" postgres -D "$PGDATA" -p "$PGPORT" -c listen_addresses="$POSTGRES_LISTEN_ADDRESSES" \
  -c unix_socket_directories=/var/run/postgresql "$@"
