# syntax=docker/dockerfile:1

# tlbridge container image: a static Go binary on distroless, running as the non-root user.
#
#   docker build -t ghcr.io/tlbridge/tlbridge:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/tlbridge/tlbridge:0.1.0 .

# The build runs on the builder's own platform and cross-compiles for the target one.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
# The build context has no .git, so the commit and date that `tlbridge version` prints come
# from here: --build-arg COMMIT=$(git rev-parse HEAD) --build-arg DATE=$(date -u +%FT%TZ).
ARG COMMIT=""
ARG DATE=""
WORKDIR /src

# Dependencies first, so source changes do not invalidate the module download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X github.com/tlbridge/tlbridge/internal/buildinfo.Commit=${COMMIT} -X github.com/tlbridge/tlbridge/internal/buildinfo.Date=${DATE}" -o /out/tlbridge ./cmd/tlbridge

# The data directory (embedded NATS storage when TLBRIDGE_NATS_URL is empty), owned by the
# non-root user; TLBRIDGE_DATA_DIR below makes it the binary's default. In Kubernetes the
# chart mounts an emptyDir here instead.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/tlbridge /usr/local/bin/tlbridge
COPY --from=build --chown=65532:65532 /out/data /var/lib/tlbridge
# 65532 is distroless' "nonroot" user; numeric so runAsNonRoot can verify it.
USER 65532:65532
ENV TLBRIDGE_DATA_DIR=/var/lib/tlbridge
# /healthz, /readyz, /metrics and the HTTP API (TLBRIDGE_HTTP_ADDR).
EXPOSE 8080
# serve by default; `docker run <image> version` or `tail` run another command.
ENTRYPOINT ["tlbridge"]
CMD ["serve"]
