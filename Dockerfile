# Builds the operator image with a container engine that can pull base images.
# Offline machines use `make image` instead (same binary on an empty base).
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=0.1.0

WORKDIR /workspace
COPY go.mod go.sum ./
RUN go mod download

COPY main.go main.go
COPY api/ api/
COPY internal/ internal/
COPY cmd/ cmd/
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} go build -trimpath \
    -ldflags "-s -w -X github.com/webserver-operator/webserver-operator/internal/version.Version=${VERSION}" \
    -o manager .

RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} go build -trimpath -ldflags "-s -w" \
    -o webserver-metrics ./cmd/webserver-metrics

# The metrics container of monitored WebServers: docker build --target metrics.
FROM gcr.io/distroless/static:nonroot AS metrics
COPY --from=builder /workspace/webserver-metrics /webserver-metrics
USER 65532:65532
ENTRYPOINT ["/webserver-metrics"]

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532
ENTRYPOINT ["/manager"]
