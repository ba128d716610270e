# syntax=docker/dockerfile:1
#
# agent-platform image: Node 24 runs the TypeScript sources directly (type stripping, no build step).
# One image for every role; the command picks it:
#   node src/main.ts      API and jobs in one process (default; embedded PGlite without DATABASE_URL)
#   agentctl serve        API only (cluster mode replicas)
#   agentctl worker       jobs only (serves /health and /metrics on PORT)
#   agentctl migrate      apply migrations and exit (compose one-shot, Helm pre-install/pre-upgrade hook)
#
#   docker build -t agent-platform .
#   docker run -p 8000:8000 -v agent-platform-data:/data agent-platform
#
# See docs/adr/0010-deploy-shapes.md and deploy/ for compose and Helm.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------- deps: production node_modules
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# devDependencies (TypeScript, ESLint, the node@24 shim for Node 20 hosts, helm for chart tests)
# stay out; the image's own node is already 24. No production dependency has an install script.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

# ---------------------------------------------------------------- portal: the built web portal
# The portal (React + Vite) needs its devDependencies to build; only portal/dist goes further.
FROM ${NODE_IMAGE} AS portal
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY portal ./portal
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && node scripts/build-portal.mjs --force

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime

# tini as PID 1: forwards SIGTERM to node (which drains requests and jobs before exiting) and reaps
# zombies. ca-certificates for HTTPS to LLM providers and the marketplace. postgresql-client
# (15, Debian bookworm's) for `agentctl backup create|verify|restore` in cluster mode: pg_dump,
# pg_restore and psql; pg_dump must be at least the server's major version (compose runs 15).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates postgresql-client \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    BACKUP_DIR=/backups \
    NODE_COMPILE_CACHE=/tmp/agent-platform-compile-cache

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY --from=portal /app/portal/dist ./portal/dist

# agentctl on the PATH; /data (embedded database, local admin token) and /backups owned by the
# unprivileged node user (uid 1000) that the container runs as.
RUN ln -s /app/bin/agentctl /usr/local/bin/agentctl \
 && chmod 0755 /app/bin/agentctl \
 && mkdir -p /data /backups \
 && chown 1000:1000 /data /backups

USER 1000:1000
VOLUME ["/data"]
EXPOSE 8000

# Readiness (migrations applied, database reachable), without curl: the slim image has none.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "src/main.ts"]

LABEL org.opencontainers.image.title="agent-platform" \
      org.opencontainers.image.description="Self-hostable multi-tenant AI agent platform" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/agent-platform/agent-platform"
