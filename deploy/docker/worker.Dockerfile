# pancode/worker:dev: a worker node (pulls runs from NATS, runs each agent in its own container on a git worktree).
# Built offline by deploy/build-images.sh; by hand, from the repository root:
#   docker build --network host -f deploy/docker/worker.Dockerfile -t pancode/worker:dev .
# --network host because our hosts have no bridge network; npm needs the registry during the build. The base image
# already trusts the host's CA bundle (/etc/ssl/certs/pancode-host-ca.crt, wired into npm by /usr/etc/npmrc).
#
# The first two stages are identical in coordinator.Dockerfile (keep them in sync), so whichever image is built
# second reuses their cached layers.

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

# Stage 3: runtime.
FROM pancode/base:bookworm
COPY --from=build /src /app
RUN ln -s /app/apps/cli/bin/pancode.js /usr/local/bin/pancode \
 && ln -s /app/apps/server/bin/pancode-server.js /usr/local/bin/pancode-server \
 && install -d -m 0755 /var/lib/pancode
ENV NODE_ENV=production \
    PANCODE_DATA_DIR=/var/lib/pancode \
    PANCODE_SANDBOX=docker \
    PANCODE_DOCKER_SOCKET=/var/run/docker.sock
WORKDIR /app
# Runs as root, on purpose: the worker drives the HOST's Docker engine through the mounted socket (which is root
# equivalent anyway), and it chowns every worktree to uid 1000 before the agent container (always non-root, see
# packages/sandbox) bind-mounts it; CAP_CHOWN needs root. Agents never run as root.
#
# PANCODE_DATA_DIR must be a host directory mounted at the SAME path in this container: the host engine resolves
# the worktree bind mounts the worker asks for against the host's filesystem, not this container's.
USER 0:0
# The service host lends runs the client bundle of /app/apps/cli (PANCODE_CLIENT_DIR) for nested dispatch.
CMD ["node", "/app/apps/server/dist/main.js", "worker"]
