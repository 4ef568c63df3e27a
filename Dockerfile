# syntax=docker/dockerfile:1
# Canh Xã: MQTT broker, ingest, store, API and dashboard in one Node process (services/main.ts).
# Used by docker-compose.yml; configuration comes from CANHXA_* environment variables over
# config/canhxa.example.yaml (every setting at its default, simulator off).
#
# TypeScript runs through tsx, which package.json lists under "dependencies" (not dev), so
# `npm ci --omit=dev` keeps it; esbuild and leaflet, for the dashboard bundle, are there too.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 fetches a prebuilt binary; the compiler is for platforms without one (e.g. arm/v7).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY dashboard ./dashboard
RUN node dashboard/build.mjs

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CANHXA_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dashboard/dist ./dashboard/dist
COPY package.json tsconfig.json ./
COPY config ./config
COPY services ./services
COPY gateway ./gateway
# The SQLite file, the ingest spool and generated credentials; owned by the unprivileged user so a
# fresh named volume mounted here inherits it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 1883
# Slim images have no curl: ask Node's fetch. The port follows CANHXA_API_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CANHXA_API_PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node directly (not npm/npx), so SIGTERM reaches the service's graceful shutdown.
CMD ["node", "--import", "tsx", "services/main.ts", "--config", "config/canhxa.example.yaml"]
