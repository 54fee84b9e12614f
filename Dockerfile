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
CMD ["node", "bin/login-alerts.js", "run"]
