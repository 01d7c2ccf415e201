# The API, worker and simulator image. Multi-stage and Debian-based: the Temporal core bridge (a native module) does
# not run on Alpine's musl.
#   build:   all dependencies exactly as locked (`npm ci`), `npm run build` (TypeScript → dist/, prebuilt workflow bundle dist/workflow-bundle.js),
#            then the dev dependencies pruned
#   runtime: node_modules (production dependencies only: no tsx, no TypeScript) + dist, as the unprivileged `node` user
# Node 24 LTS (package.json's engines stay >= 20.19: the service and its tests also run on Node 20).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lock: it holds every platform's optional packages, so `npm ci` accepts it on any platform.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY data ./data
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Sample platform locations (PLATFORM_LOCATIONS_FILE); the adapter's own state lives under DATA_DIR (a volume).
COPY --from=build /app/data ./data
USER node
EXPOSE 3000 9464 4010
# One image, three roles: SERVICE_ROLE=all|api|worker for dist/main.js; the simulator is dist/simulator/main.js.
# node runs as PID 1 and handles SIGTERM itself (stops taking requests, drains in-flight activities, exits 0).
CMD ["node", "dist/main.js"]
