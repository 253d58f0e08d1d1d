# syntax=docker/dockerfile:1

# tlbridge container image: a static Go binary on distroless, running as the non-root user.
#
#   docker build -t ghcr.io/tlbridge/tlbridge:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/tlbridge/tlbridge:0.1.0 .

# The build runs on the builder's own platform and cross-compiles for the target one.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src

# Dependencies first, so source changes do not invalidate the module download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/tlbridge ./cmd/tlbridge

# The default data directory (embedded NATS storage when TLBRIDGE_NATS_URL is empty), owned
# by the non-root user. In Kubernetes the chart mounts an emptyDir here instead.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/tlbridge /usr/local/bin/tlbridge
COPY --from=build --chown=65532:65532 /out/data /var/lib/tlbridge
# 65532 is distroless' "nonroot" user; numeric so runAsNonRoot can verify it.
USER 65532:65532
# /healthz, /readyz, /metrics and the HTTP API (TLBRIDGE_HTTP_ADDR).
EXPOSE 8080
ENTRYPOINT ["tlbridge", "serve"]
