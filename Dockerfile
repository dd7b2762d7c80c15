# Sweeper daemon image. Build: docker build -t sweeper .   Run: docker run -v sweeper-data:/app/data sweeper
# The image ships the example config/ and jobs/; mount your own over /app/config and /app/jobs.
FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production SWEEPER_CONFIG=/app/config/sweeper.yaml
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY jobs ./jobs
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["start"]
