# The API, worker and simulator image. Debian-based: the Temporal core bridge (a native module) does not run on
# Alpine's musl.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY data ./data
USER node
EXPOSE 3000 4010
# One image, three roles: override the command per service (see docker-compose.yml).
CMD ["node", "--import", "tsx", "src/api/main.ts"]
