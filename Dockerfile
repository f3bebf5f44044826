# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (pure-Go SQLite, CGO_ENABLED=0) on a
# distroless base, running as a non-root user with /data as its volume.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/bot ./cmd/bot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /usr/local/bin/bot
COPY rules.yaml /etc/autoresponder/rules.yaml
COPY --from=build --chown=65532:65532 /out/data /data
ENV BOT_RULES=/etc/autoresponder/rules.yaml \
    BOT_DATA=/data \
    BOT_LISTEN=:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# Distroless has no shell and no curl: the bot asks itself. `bot
# healthcheck` GETs /readyz on loopback at BOT_LISTEN's port and exits 0 on
# a 2xx (TestDockerHealthcheck in internal/e2e runs this exact command
# against a real bot).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/bot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/bot"]
CMD ["serve"]
