# The ThreatLockDown image: every service and the `tld` CLI. docker-compose.yml runs it once per service with
# `command: node dist/services/<name>/main.js`.
FROM node:20-slim AS build
WORKDIR /app
# Dependencies first, without lifecycle scripts (the `prepare` build needs the sources, copied next): this layer
# is reused until package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm rebuild && npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
    TLD_HOME=/app \
    TLD_STATE_DIR=/var/lib/tld
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /var/lib/tld && chown node:node /var/lib/tld && ln -s /app/bin/tld.js /usr/local/bin/tld
USER node
# Ports the services listen on by default (collector, decoder, matcher, responder, dashboard).
EXPOSE 1514 9611 9612 9613 5601
CMD ["node", "bin/tld.js", "--help"]
