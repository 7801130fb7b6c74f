# syntax=docker/dockerfile:1
# Multi-stage build of the gateway. Not built on the development machines (no Docker engine
# runs there); kept correct by reading. Meant to run with DATABASE_URL pointing at PostgreSQL;
# without it the embedded PostgreSQL keeps its files in DATA_DIR, a folder the `node` user owns.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json
# dist/src/main.js and all it imports into dist/bundle (bundle-26: a start loads ~20 files instead of
# ~1,700 modules, ~45% less CPU to "gateway ready"); the packages it leaves out are in node_modules.
RUN node scripts/bundle.mjs
# The member app and console (Vite) into dist/web, with their operation manifests.
COPY web ./web
RUN node scripts/web-build.mjs

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    DATA_DIR=/home/node/reward-gateway-data
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only; the image's own Node 24 runs the gateway (the `node` devDependency
# that pins Node 24 for npm scripts on development machines is left out with the other dev tools).
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY scripts/stack.mjs ./scripts/stack.mjs
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# --max-semi-space-size=8 --heap-growing-percent=50: see bench/node-flags.ts (the young and the old
# generation each bounded; peak RSS under load 170–186 MB instead of up to ~298 MB).
# dist/bundle/*.map lead a stack's lines back to src/*.ts: `node scripts/stack.mjs` offline, or
# --enable-source-maps here (it costs ~0.8 s of CPU per start, bundle-26).
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/bundle/main.js"]
