# pancode/agent:dev: the image every agent run starts from. Built offline by deploy/images/build-images.sh on top
# of pancode/base:bookworm (debootstrap rootfs with git, ripgrep, procps, plus the host's Node 20 and npm).
# It bakes in the five coding-agent CLIs at the versions pinned in agent-versions.env (passed as build args by
# build-images.sh; there are deliberately no defaults here, so the versions live in one place). Nothing is
# installed at run time: agent containers usually run with no route to the npm registry at all.
# The build runs with --network host, and the base already trusts the host's CA bundle through /usr/etc/npmrc.
FROM pancode/base:bookworm

# Fail the build early, not the first run, if the base lost a tool agents rely on.
RUN set -e; for t in sh bash git node npm rg sed cat ls ps; do command -v "$t" >/dev/null; done; \
    node -e 'if (Number(process.versions.node.split(".")[0]) < 20) process.exit(1)'

ARG PI_VERSION
ARG CLAUDE_CODE_VERSION
ARG CODEX_VERSION
ARG GEMINI_CLI_VERSION
ARG OPENCODE_VERSION

# One npm run for all five so the downloads overlap (about 30 s on a fresh 2-core machine).
# - Install scripts run only for the reviewed packages in --allow-scripts; --strict-allow-scripts fails the build
#   when a version bump brings a new one, so it gets read before it runs. What the allowed ones do: claude-code's
#   and opencode-ai's postinstalls hard-link the native binary from their platform package (an
#   optionalDependency fetched from the npm registry) into bin/; koffi (Pi) and keytar (Gemini) copy a prebuilt
#   addon shipped in their tarball; protobufjs prints a notice; @google/genai's preinstall is an echo.
#   Gemini's optional node-pty@1.0.0 has no prebuilt addon, so npm runs `node-gyp rebuild`, which stops at once
#   (no python or compiler in the base) and npm drops that optional dependency; Gemini falls back to the
#   prebuilt @lydell/node-pty-linux-x64. None of them downloads from outside the registry.
# - Gemini's optional keytar needs libsecret, absent on purpose: Gemini then keeps credentials in ~/.gemini.
# - opencode-ai installs both opencode-linux-x64 and -baseline (no AVX2) and its postinstall links the one this
#   CPU runs; the other copy (~180 MB) is deleted. Codex ships one static musl binary for linux-x64.
# - The npm cache and root's HOME are emptied in the same layer so the tarballs do not stay in the image.
RUN set -eu; \
    : "${PI_VERSION:?}" "${CLAUDE_CODE_VERSION:?}" "${CODEX_VERSION:?}" "${GEMINI_CLI_VERSION:?}" "${OPENCODE_VERSION:?}"; \
    npm install -g --no-audit --no-fund --no-update-notifier --loglevel=warn --strict-allow-scripts \
      --allow-scripts=@anthropic-ai/claude-code,opencode-ai,koffi,@github/keytar,protobufjs,@google/genai,node-pty \
      "@mariozechner/pi-coding-agent@${PI_VERSION}" \
      "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
      "@openai/codex@${CODEX_VERSION}" \
      "@google/gemini-cli@${GEMINI_CLI_VERSION}" \
      "opencode-ai@${OPENCODE_VERSION}"; \
    oc=/usr/lib/node_modules/opencode-ai; \
    for variant in "$oc"/node_modules/opencode-linux-*; do \
      [ "$(stat -c %i "$variant/bin/opencode")" = "$(stat -c %i "$oc/bin/opencode.exe")" ] || rm -rf "$variant"; \
    done; \
    npm cache clean --force 2>/dev/null; rm -rf /root/.npm /root/.cache /tmp/* ; \
    home=$(mktemp -d); \
    for cli in pi claude codex gemini opencode; do \
      HOME="$home" "$cli" --version >/dev/null 2>&1 || { echo "agent image: '$cli --version' failed" >&2; HOME="$home" "$cli" --version; exit 1; }; \
    done; \
    rm -rf "$home"

# Pi starts from one esbuild bundle (agent-build/bundle-pi.mjs): Node 20 spends about a second of CPU finding,
# reading and lexing Pi's few hundred module files, which is most of the time between a run's start and its first
# model call. esbuild is installed for this step only (--ignore-scripts: its postinstall only checks the binary of
# the @esbuild/linux-x64 package) and removed in the same layer. `pi` on PATH runs the bundle; the package itself
# stays (native addons, themes, docs and the extension loader come from it).
ARG ESBUILD_VERSION
COPY agent-build/ /tmp/pancode-agent-build/
RUN set -eu; \
    : "${ESBUILD_VERSION:?}"; \
    b=/tmp/pancode-agent-build; pkg=/usr/lib/node_modules/@mariozechner/pi-coding-agent; \
    npm install --prefix "$b" --no-save --no-audit --no-fund --no-update-notifier --loglevel=warn --ignore-scripts \
      "esbuild@${ESBUILD_VERSION}"; \
    node "$b/bundle-pi.mjs" "$pkg"; \
    chmod 755 "$pkg/dist/pancode/bundle/cli.js"; \
    ln -sfn ../lib/node_modules/@mariozechner/pi-coding-agent/dist/pancode/bundle/cli.js /usr/bin/pi; \
    rm -rf "$b" /root/.npm /root/.cache; \
    home=$(mktemp -d); \
    [ "$(HOME="$home" pi --version 2>&1)" = "${PI_VERSION}" ] || \
      { echo "agent image: the bundled 'pi --version' failed" >&2; HOME="$home" pi --version; exit 1; }; \
    rm -rf "$home"

# Safe defaults, so that a run whose adapter forgets a switch still makes no network call besides the model API:
# no self-update, update check, telemetry, usage statistics, error reporting, model-catalog or plugin download.
# Runs can override any of them with `docker run -e`. Codex and Gemini CLI read these from system config files.
COPY agent-etc/ /etc/
ENV HOME=/home/agent \
    LANG=C.UTF-8 \
    DISABLE_AUTOUPDATER=1 \
    DISABLE_TELEMETRY=1 \
    DISABLE_ERROR_REPORTING=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    PI_OFFLINE=1 \
    PI_TELEMETRY=0 \
    PI_SKIP_VERSION_CHECK=1 \
    OPENCODE_DISABLE_AUTOUPDATE=1 \
    OPENCODE_DISABLE_MODELS_FETCH=1 \
    OPENCODE_DISABLE_LSP_DOWNLOAD=1 \
    OPENCODE_DISABLE_DEFAULT_PLUGINS=1 \
    OPENCODE_DISABLE_SHARE=1

# Which runtimes this image carries, read by the worker to advertise them (docker image inspect).
LABEL pancode.runtimes="pi,claude-code,codex,gemini,opencode" \
      pancode.version.pi="${PI_VERSION}" \
      pancode.version.claude-code="${CLAUDE_CODE_VERSION}" \
      pancode.version.codex="${CODEX_VERSION}" \
      pancode.version.gemini="${GEMINI_CLI_VERSION}" \
      pancode.version.opencode="${OPENCODE_VERSION}"

# Declared last so that a new hash only re-runs this cheap label layer. build-images.sh compares it with the hash
# of agent.Dockerfile + agent-versions.env + agent-etc/ + the base image id to decide whether to rebuild at all.
ARG PANCODE_BUILD_HASH=unknown
LABEL pancode.build.hash="${PANCODE_BUILD_HASH}"

# uid/gid 1000 is the `agent` user created in the base rootfs; the sandbox also forces a non-root user per run.
USER 1000:1000
WORKDIR /workspace
CMD ["bash"]
