# Sweeper daemon image. Build: docker build -t sweeper .   Run: docker run -v sweeper-data:/app/data sweeper
# The image ships the example config/ and jobs/ (the demo, created in the volume on first start); mount
# your own over /app/config and /app/jobs. Any command works: docker run -v sweeper-data:/app/data sweeper runs
#
# Node 22 LTS. package-lock.json pins better-sqlite3 12, which supports Node 20 to 26 (its engines
# field), so the same lock serves the machines still on Node 20 and this image; npm ci compiles it for
# Node 22 here. better-sqlite3 13 needs Node 22 or later, so moving the lock to it waits until Node 20
# is gone from the machines.
FROM node:22-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production SWEEPER_CONFIG=/app/config/sweeper.yaml
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY jobs ./jobs
COPY docker/entrypoint.sh /usr/local/bin/sweeper-entrypoint
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
# The HTTP API (/healthz, /metrics, /api, /ui). The shipped config listens on the container's loopback,
# which the health check reaches; to publish the port, set SWEEPER_LISTEN=0.0.0.0:8787 with tokens in
# your config (beyond loopback Sweeper refuses to listen without them).
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + ((process.env.SWEEPER_LISTEN || '').split(':').pop() || 8787) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["sweeper-entrypoint"]
CMD ["start"]
