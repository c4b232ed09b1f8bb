# pancode/coordinator:dev: the coordinator service (gRPC API, run ledger in Postgres, publishes runs to NATS).
# Built offline by deploy/build-images.sh; by hand, from the repository root:
#   docker build --network host -f deploy/docker/coordinator.Dockerfile -t pancode/coordinator:dev .
# --network host because our hosts have no bridge network; npm needs the registry during the build. The base image
# already trusts the host's CA bundle (/etc/ssl/certs/pancode-host-ca.crt, wired into npm by /usr/etc/npmrc).
#
# The first two stages are identical in worker.Dockerfile, so the second image reuses their cached layers.

# Stage 1: only the files `npm ci` reads, so the dependency layer below survives source edits (the legacy builder
# has no `COPY --parents`, and listing every workspace's package.json by hand would rot).
FROM pancode/base:bookworm AS manifests
WORKDIR /src
COPY . .
RUN find . ! -type d ! -name package.json ! -name package-lock.json ! -name .npmrc -delete \
 && find . -depth -mindepth 1 -type d -empty -delete

# Stage 2: install, compile with turbo, then drop dev dependencies and sources.
FROM pancode/base:bookworm AS build
# Override for a registry mirror: --build-arg NPM_REGISTRY=https://npm.example.internal/
ARG NPM_REGISTRY=https://registry.npmjs.org/
ENV TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1 \
    npm_config_registry=${NPM_REGISTRY} \
    npm_config_update_notifier=false
WORKDIR /src
COPY --from=manifests /src/ ./
# --ignore-scripts: the root `prepare` script builds the tree, which is not here yet (the build step below does
# it). No runtime dependency needs its install script (ssh2's optional native crypto falls back to JS).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm -rf .turbo node_modules/.cache apps/*/src packages/*/src packages/*/scripts packages/testing node_modules/@pancode/testing \
      deploy proto test bench scripts turbo.json biome.json vitest.config.ts tsconfig*.json \
      apps/*/tsconfig.json packages/*/tsconfig.json packages/*/drizzle.config.ts \
 && find apps packages -name '*.map' -delete \
 && test -f packages/db/drizzle/meta/_journal.json \
 && test -f apps/server/dist/main.js -a -f apps/cli/dist/main.js -a -f apps/cli/dist/client/pancode.mjs

# Stage 3: runtime. The migrations are read at start from packages/db/drizzle, next to packages/db/dist.
FROM pancode/base:bookworm
# A dedicated system user: the coordinator needs no privilege, only its data dir (blobs, tokens).
RUN groupadd --gid 10001 pancode \
 && useradd --no-create-home --uid 10001 --gid 10001 --home-dir /var/lib/pancode --shell /usr/sbin/nologin pancode \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/pancode \
 && install -d -o 10001 -g 10001 -m 0755 /var/lib/pancode/tls
COPY --from=build /src /app
RUN ln -s /app/apps/cli/bin/pancode.js /usr/local/bin/pancode \
 && ln -s /app/apps/server/bin/pancode-server.js /usr/local/bin/pancode-server
ENV NODE_ENV=production \
    PANCODE_LISTEN=0.0.0.0:7400 \
    PANCODE_DATA_DIR=/var/lib/pancode
WORKDIR /app
USER 10001:10001
EXPOSE 7400 7701
VOLUME ["/var/lib/pancode"]
# TCP connect to the gRPC port: cheap, and enough to tell "listening" from "crashed or still migrating".
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e 'const a=process.env.PANCODE_LISTEN||"127.0.0.1:7400",i=a.lastIndexOf(":");let h=a.slice(0,i).replace(/^\[|\]$/g,"");if(["","0.0.0.0","::"].includes(h))h="127.0.0.1";require("net").connect(Number(a.slice(i+1)),h).on("connect",()=>process.exit(0)).on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),2500)'
CMD ["node", "/app/apps/server/dist/main.js", "coordinator"]
