# docker-engine-exporter container image.
#
#   docker build -t docker-engine-exporter:local .
#
# BASE is any Node.js 20+ image with npm (the test builds on a glibc one). The build stage runs `npm ci` and
# `tsc` on it; the runtime image keeps only BASE's node binary and the shared libraries node loads,
# the compiled dist/, proto/ and the production node_modules: no shell, no npm, no package manager.
# Without a registry, pass a local image: `--build-arg BASE=my/node:20` (test/engine/image.test.ts
# builds one from the host's own node).
#
# The image runs as uid 65534 (nobody). What that sees and what needs more (root with CAP_SYS_PTRACE,
# the Docker socket's group): docs/container.md.
ARG BASE=node:20-bookworm-slim

# --- build: dependencies, compile, then drop the devDependencies --------------------------------
FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=warn
COPY tsconfig.base.json tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --loglevel=warn

# --- rootfs: node and exactly the shared libraries it loads (its own diagnostic report lists them) --
FROM ${BASE} AS rootfs
RUN set -eu; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc /rootfs/tmp /rootfs/app; \
    cp "$(node -p process.execPath)" /rootfs/usr/local/bin/node; \
    for lib in $(node -p "process.report.getReport().sharedObjects.filter((p) => p.startsWith('/')).join(' ')"); do \
      mkdir -p "/rootfs$(dirname "$lib")"; \
      cp -L "$lib" "/rootfs$lib"; \
    done; \
    chmod 1777 /rootfs/tmp; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >/rootfs/etc/passwd; \
    printf 'root:x:0:\nnogroup:x:65534:\n' >/rootfs/etc/group; \
    printf 'hosts: files dns\n' >/rootfs/etc/nsswitch.conf; \
    /rootfs/usr/local/bin/node --version >/dev/null

# --- runtime ---------------------------------------------------------------------------------------
FROM scratch
COPY --from=rootfs /rootfs/ /
WORKDIR /app
# package.json: "type": "module" for dist/, and the version the exporter reports.
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY proto ./proto
# Two malloc arenas instead of eight per core: the scan worker thread otherwise grows RSS slowly over
# days of polling (docs/benchmarks.md, memory soak).
ENV PATH=/usr/local/bin NODE_ENV=production MALLOC_ARENA_MAX=2
# Non-root by default: counts, up, restarts, CPU, memory and threads of every engine process come from
# world-readable /proc files. Run as root (with CAP_SYS_PTRACE only) for open fds, exe links and the
# sockets: docs/container.md.
USER 65534:65534
EXPOSE 9733
# /healthz answers 200 while the poller is fresh, 503 when it is stuck. The port follows
# DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS (set that, not the flag, to move it); with TLS or basic
# auth (--web.config.file) replace this check (docs/container.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/node", "-e", "const a=process.env.DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS||':9733';const i=a.lastIndexOf(':');let h=a.slice(0,i).replace(/^\\[|\\]$/g,'');if(h===''||h==='0.0.0.0'||h==='::')h='127.0.0.1';require('http').get({host:h,port:Number(a.slice(i+1)),path:'/healthz',timeout:4000},(r)=>process.exit(r.statusCode===200?0:1)).on('timeout',function(){this.destroy()}).on('error',()=>process.exit(1))"]
# A 2 MiB young generation instead of V8's 16 MiB: the exporter allocates little per poll, and the
# default lets V8 grow the heap by ~25 MiB of RSS for no gain (docs/benchmarks.md, memory).
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=2", "/app/dist/main.js"]
