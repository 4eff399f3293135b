# Build and run Switchboard. Secrets come from the environment, never from the image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 SWITCHBOARD_DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME /data
EXPOSE 8080
# Same flags as `npm start` (package.json): a young generation large enough that what a request holds dies young, and a fixed
# old-space growth that keeps peak RSS within 64 MiB of idle under load (bench/README.md, "The young generation").
CMD ["node", "--max-semi-space-size=32", "--heap-growing-percent=70", "--no-allocation-site-pretenuring", "dist/apps/api/apps/api/src/main.js"]
