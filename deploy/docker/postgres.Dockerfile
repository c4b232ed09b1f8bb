# pancode/postgres:dev: PostgreSQL 15 from Debian (our hosts cannot pull postgres:15). The entrypoint initialises
# the cluster on first start into the /var/lib/postgresql/data volume, with the POSTGRES_PASSWORD it is given.
# Built offline by deploy/build-images.sh; by hand (context = this folder, apt needs the host network):
#   docker build --network host -f deploy/docker/postgres.Dockerfile -t pancode/postgres:dev deploy/docker
FROM pancode/base:bookworm
# Debian's postinst creates a "main" cluster; ours lives in the volume and is made by the entrypoint instead.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
 && (pg_dropcluster 15 main 2>/dev/null || true) \
 && rm -rf /var/lib/postgresql/15 /etc/postgresql/15 \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql
# No COPY --chmod: our engine's legacy builder lacks it.
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
RUN chmod 0755 /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    POSTGRES_USER=pancode \
    POSTGRES_DB=pancode \
    POSTGRES_LISTEN_ADDRESSES=* \
    PGPORT=5432
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD pg_isready -q -h 127.0.0.1 -p "$PGPORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB"
# Starts as root only to fix the volume's owner, then execs postgres as the postgres user (it refuses root).
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
STOPSIGNAL SIGINT
