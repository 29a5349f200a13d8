# weft's published image: the same layout images/build.sh builds for the test
# cluster without a registry (test/cluster/dockerfile.test.ts checks that the
# entrypoint, user, working directory and environment below match
# images/weft/image.json). One image carries the `weft` command: the control
# plane, the sidecar (weft-proxy) and `weft init-iptables` (weft-init).
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev && find dist -name '*.map' -delete && rm -f dist/.tsbuildinfo

FROM debian:bookworm-slim
# iptables (nft backend) for weft-init; busybox for a shell when debugging.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables busybox-static \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd -g 1337 weft-proxy && useradd -u 1337 -g 1337 -d /nonexistent -s /bin/false weft-proxy \
  && groupadd -g 65532 weft && useradd -u 65532 -g 65532 -d /app -s /bin/false weft
COPY --from=build /usr/local/bin/node /usr/bin/node
COPY --from=build /src/package.json /app/package.json
COPY --from=build /src/dist /app/dist
COPY --from=build /src/node_modules /app/node_modules
COPY --from=build /src/native/build/Release/original_dst.node /app/native/build/Release/original_dst.node
WORKDIR /app
ENV NODE_ENV=production
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER 65532:65532
ENTRYPOINT ["/usr/bin/node", "/app/dist/cli/weft.js"]
