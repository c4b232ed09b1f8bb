# pancode/agent:dev: the image every agent run starts from. Built offline by deploy/images/build-images.sh on top
# of pancode/base:bookworm (debootstrap rootfs with git, ripgrep, procps, plus the host's Node 20 and npm).
# Later stages add coding-agent CLIs here with `RUN npm install -g ...` (the build runs with --network host, and
# the base image already trusts the host's CA bundle through /usr/etc/npmrc).
FROM pancode/base:bookworm

# Fail the build early, not the first run, if the base lost a tool agents rely on.
RUN set -e; for t in sh bash git node npm rg sed cat ls ps; do command -v "$t" >/dev/null; done; \
    node -e 'if (Number(process.versions.node.split(".")[0]) < 20) process.exit(1)'

ENV HOME=/home/agent \
    LANG=C.UTF-8
# uid/gid 1000 is the `agent` user created in the base rootfs; the sandbox also forces a non-root user per run.
USER 1000:1000
WORKDIR /workspace
CMD ["bash"]
