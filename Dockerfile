# login-alerts `run` on Node 26, the line the test suite runs on (package.json engines). The image
# holds what the npm package holds: the build stage packs it (`npm pack` runs `prepack`: tsc to dist/),
# the runtime stage unpacks it over production dependencies installed from the lock file. Optional
# dependencies are left out: the image has its own Node, and `run` never uses `start`'s local inbox.
FROM node:26-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --no-audit --no-fund
COPY . .
RUN npm pack --silent && mv login-alerts-*.tgz login-alerts.tgz

FROM node:26-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /build/login-alerts.tgz /tmp/
RUN tar -xzf /tmp/login-alerts.tgz --strip-components=1 && rm /tmp/login-alerts.tgz
# The files stay root-owned and read-only to the process; it writes only where OUTBOX_DIR points.
USER node
EXPOSE 8080 8081
# A larger young generation: the pipeline makes many short-lived objects per event, and with V8's
# default (16 MB semi-spaces) scavenges took a seventh of its CPU.
CMD ["node", "--max-semi-space-size=32", "bin/login-alerts.js", "run"]
