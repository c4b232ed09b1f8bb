# pancode/nats:dev: NATS with JetStream from Debian's nats-server package (our hosts cannot pull nats:2).
# Built offline by deploy/build-images.sh; by hand (context = this folder, apt needs the host network):
#   docker build --network host -f deploy/docker/nats.Dockerfile -t pancode/nats:dev deploy/docker
FROM pancode/base:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
 && id nats \
 && install -d -o nats -g nats -m 0750 /data \
 && nats-server --version
# The package creates the unprivileged system user `nats`.
USER nats
VOLUME ["/data"]
# 4222 clients, 8222 HTTP monitoring (/healthz).
EXPOSE 4222 8222
# JetStream must be enabled and its store writable, or the coordinator cannot create the PANCODE streams.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD node -e 'fetch("http://127.0.0.1:"+(process.env.NATS_MONITOR_PORT||"8222")+"/healthz?js-enabled-only=true").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))'
ENTRYPOINT ["nats-server"]
# Arguments replace these defaults wholesale, e.g. `-js -sd /data -a 127.0.0.1 -p 4333 -m 8333` on a host network.
CMD ["-js", "-sd", "/data", "-p", "4222", "-m", "8222"]
