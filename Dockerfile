# syntax=docker/dockerfile:1
# podlog agent image. Build: docker build -t podlog:0.1.0 .
# Node 24 runs the TypeScript sources directly (type stripping; tsconfig `erasableSyntaxOnly`), so there
# is no compile step for the agent — only the web page is built, with the dev dependencies, in its own stage.
# Behind a TLS-intercepting proxy, hand npm the proxy's CA bundle as a build secret (never baked in):
#   --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt

# --- web page (vite) ---
FROM node:24-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: neither the `prepare` script (it builds the page; done below, once web/ is copied)
# nor the install script of the `node` devDependency (the image has its own Node 24).
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --ignore-scripts --no-audit --no-fund
COPY web ./web
RUN npx vite build web

# --- production dependencies only, without TypeScript sources and declarations, source maps and docs ---
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) -delete

# --- runtime: distroless (libc, libstdc++, Node; no shell, no package manager, no npm) ---
# 250 MB at most: Node ~126 MB, production node_modules ~57 MB, the rest ~25 MB.
FROM gcr.io/distroless/nodejs24-debian12
ENV NODE_ENV=production PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY --from=web /src/web/dist ./web/dist
# The agent reads files that pods wrote as their own users (often 0600); that takes CAP_DAC_READ_SEARCH,
# which Kubernetes only makes effective for uid 0 (no ambient capabilities). The DaemonSet therefore runs
# it as root with every other capability dropped, no privilege escalation and a read-only root file system
# (manifests/base/daemonset.yaml). Run elsewhere — docker run, local development — it runs as the
# unprivileged `nonroot` user (65532) by default.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "bin/podlog.js"]
CMD ["agent", "--host=0.0.0.0", "--port=8080", "--root=/var/log/podlog", "--state-dir=/var/lib/podlog"]
