# syntax=docker/dockerfile:1
# podlog agent image. Build: docker build -t podlog:0.1.0 .
# The build stage bundles the agent (`scripts/build.ts`, esbuild: the agent at rest takes ~30% less memory
# than from its TypeScript sources) and builds the web page, with the dev dependencies; the runtime carries
# the bundle, the page, the production node_modules and Debian's ripgrep (the search engine).
# Behind a TLS-intercepting proxy, hand npm the proxy's CA bundle as a build secret (never baked in):
#   --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt

# --- the agent's bundle (esbuild) and the web page (vite) ---
FROM node:24-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: neither the `prepare` script (it builds the page; done below, once web/ is copied)
# nor the install script of the `node` devDependency (the image has its own Node 24).
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --ignore-scripts --no-audit --no-fund
COPY web ./web
RUN npx vite build web
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN node scripts/build.ts dist

# --- ripgrep from Debian, with the one library it needs beyond the runtime's (PCRE2) ---
FROM node:24-slim AS ripgrep
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ripgrep >/dev/null \
 && mkdir -p /out && cp /usr/bin/rg /out/rg && cp -L /usr/lib/x86_64-linux-gnu/libpcre2-8.so.0 /out/ \
 && /out/rg --version

# --- production dependencies only, without TypeScript sources and declarations, source maps and docs ---
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) -delete

# --- runtime: distroless (libc, libstdc++, Node; no shell, no package manager, no npm) ---
# 250 MB at most (213 MB): Node ~126 MB, production node_modules ~57 MB, the bundle ~10 MB, ripgrep ~5 MB, the rest ~15 MB.
FROM gcr.io/distroless/nodejs24-debian12
ENV NODE_ENV=production PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=web /src/dist ./dist
COPY --from=web /src/web/dist ./web/dist
COPY --from=ripgrep /out/rg /usr/bin/rg
COPY --from=ripgrep /out/libpcre2-8.so.0 /usr/lib/x86_64-linux-gnu/libpcre2-8.so.0
# The agent reads files that pods wrote as their own users (often 0600); that takes CAP_DAC_READ_SEARCH,
# which Kubernetes only makes effective for uid 0 (no ambient capabilities). The DaemonSet therefore runs
# it as root with every other capability dropped, no privilege escalation and a read-only root file system
# (manifests/base/daemonset.yaml). Run elsewhere — docker run, local development — it runs as the
# unprivileged `nonroot` user (65532) by default.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "bin/podlog.js"]
CMD ["agent", "--host=0.0.0.0", "--port=8080", "--root=/var/log/podlog", "--state-dir=/var/lib/podlog"]
