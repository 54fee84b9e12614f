# login-alerts `run` on the current Node LTS. Only runtime dependencies are installed: tsx is one
# (bin/login-alerts.js runs the TypeScript sources through it, no build step); the local email
# inbox `start` uses (aws-ses-v2-local) and the test tools are development dependencies.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# The sources stay root-owned and read-only to the process; it writes only where OUTBOX_DIR points.
USER node
EXPOSE 8080 8081
# A larger young generation: the pipeline makes many short-lived objects per event, and with V8's
# default (16 MB semi-spaces) scavenges took a seventh of its CPU.
CMD ["node", "--max-semi-space-size=32", "bin/login-alerts.js", "run"]
