FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY . .
USER node
CMD ["node", "bin/login-alerts.js", "run"]
