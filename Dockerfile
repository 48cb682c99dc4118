# Bifrost gateway image: a static bifrost-http on an empty base, run as a non-root user.
#
#   docker build --build-arg CONFIG_PATH=./config.json --build-arg PORT=8080 -t bifrost-transports .
#   docker run -p 8080:8080 -e OPENAI_API_KEY bifrost-transports
#
# or, with the config mounted instead of built in (a mounted file hides the built-in one):
#
#   docker run -p 8080:8080 -e OPENAI_API_KEY -v "$PWD/config.json:/etc/bifrost/config.json:ro" bifrost-transports
#
# Every flag of bifrost-http can be set with -e BIFROST_<FLAG> (BIFROST_LOG_LEVEL=debug, ...).

FROM golang:1.26 AS build
# As the Makefile: the toolchain go.mod asks for, fetched when the image's Go is older.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY . .
# In a checkout of this repository, the binary is built from it, with the same command as the
# e2e test TestDockerBinary (server/e2e/docker_test.go) runs. In a directory that holds only
# this Dockerfile and a config.json (the launch post's steps), it is built from the module
# proxy at BIFROST_VERSION instead.
ARG BIFROST_VERSION=latest
RUN if [ -f go.mod ]; then \
      CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bifrost-http ./server/cmd/bifrost-http; \
    else \
      CGO_ENABLED=0 GOBIN=/out go install -trimpath -ldflags="-s -w" "github.com/bifrost-gw/bifrost/server/cmd/bifrost-http@$BIFROST_VERSION"; \
    fi
# The config to build in, if any: CONFIG_PATH names a file of the build context.
ARG CONFIG_PATH=./config.json
RUN mkdir -p /out/etc && if [ -f "$CONFIG_PATH" ]; then cp "$CONFIG_PATH" /out/etc/config.json; fi

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/bifrost-http /bifrost-http
COPY --from=build --chown=65532:65532 /out/etc/ /etc/bifrost/
ARG PORT=8080
ENV BIFROST_CONFIG=/etc/bifrost/config.json \
    BIFROST_HOST=0.0.0.0 \
    BIFROST_PORT=${PORT}
EXPOSE ${PORT}
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/bifrost-http", "-healthcheck"]
ENTRYPOINT ["/bifrost-http"]
