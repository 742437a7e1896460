# syntax=docker/dockerfile:1
# The zoomsync container image.
#
#   docker build -t zoomsync .                  # or: podman build -t zoomsync .
#   docker run -p 8080:8080 -v zoomsync-data:/data zoomsync
#
# Two stages: a Rust builder compiles `zoomsync` in release mode, strips it, compiles the
# healthcheck and assembles the runtime file system; the runtime stage is FROM scratch and holds
# only that: the binary, the shared libraries `ldd` says it loads (glibc, libgcc_s, libssl3,
# libpq5 and theirs), CA certificates, a passwd entry for the unprivileged user. No shell, no
# package manager. SQLite is compiled in (libsqlite3-sys "bundled"), so no libsqlite3.
#
# Build arguments:
#   BUILDER_IMAGE  the Rust toolchain image (Debian bookworm based: the runtime libraries are
#                  copied from it, so they match what the binary was linked against).
#   PREBUILT       path, inside the build context, of a zoomsync binary already built on a
#                  bookworm host: skips `cargo build` (scripts/container-test uses it, because
#                  a release build inside a container on a 2-core machine takes long).
#   ZOOMSYNC_UID   the numeric user (and group) the daemon runs as.
#
# Configuration is read from the environment (ZOOMSYNC__<SECTION>__<KEY>, see
# config/zoomsync.example.toml) or from a TOML file named by ZOOMSYNC_CONFIG, e.g. a mounted
# secret. The defaults below listen on all interfaces and keep SQLite in the /data volume.

ARG BUILDER_IMAGE=rust:1-bookworm

FROM ${BUILDER_IMAGE} AS builder
ARG PREBUILT=
ARG ZOOMSYNC_UID=10001
# The build context has no .git: pass the revision (`--build-arg ZOOMSYNC_REVISION=$(git
# rev-parse --short=12 HEAD)`) for `zoomsync --version` and `zoomsync_build_info`.
ARG ZOOMSYNC_REVISION=
ENV ZOOMSYNC_REVISION=${ZOOMSYNC_REVISION}
# Headers for openssl-sys and pq-sys, a C compiler for the healthcheck, binutils for strip.
# Skipped when the base already has them (a local base built offline).
RUN missing=$(for p in pkg-config libssl-dev libpq-dev ca-certificates gcc libc6-dev binutils; do \
      dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"; done); \
    if [ -n "$missing" ]; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY . .
# The registry and target caches only speed up rebuilds; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    mkdir -p /out \
    && if [ -n "$PREBUILT" ]; then \
         install -m 0755 "$PREBUILT" /out/zoomsync; \
       else \
         cargo build --release --locked -p zoomsync && install -m 0755 target/release/zoomsync /out/zoomsync; \
       fi \
    && strip /out/zoomsync \
    && /out/zoomsync --help >/dev/null
RUN gcc -O2 -Wall -Wextra -Werror -o /out/zoomsync-healthcheck deploy/container/healthcheck.c \
    && strip /out/zoomsync-healthcheck
RUN deploy/container/assemble-rootfs /rootfs "$ZOOMSYNC_UID" /out/zoomsync /out/zoomsync-healthcheck

FROM scratch
ARG ZOOMSYNC_UID=10001
COPY --from=builder /rootfs/ /
# The data volume must belong to the daemon's user: a fresh named volume takes this ownership.
COPY --from=builder --chown=${ZOOMSYNC_UID}:${ZOOMSYNC_UID} /rootfs-data/ /data/
ENV ZOOMSYNC__SERVER__BIND=0.0.0.0:8080 \
    ZOOMSYNC__DATABASE__URL=sqlite:///data/zoomsync.db \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER ${ZOOMSYNC_UID}:${ZOOMSYNC_UID}
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Liveness only: /healthz answers while the process serves HTTP. Readiness (/readyz: database
# reachable, migrations applied) is for the orchestrator's traffic decisions, not for restarts.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/zoomsync-healthcheck", "/healthz"]
# `serve` stops gracefully on SIGTERM; give it time (docker stop -t 45, see docs/operations.md).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/zoomsync"]
CMD ["serve"]
