# snug container image: Debian bookworm, built from source with Debian's
# -dev packages, run as a non-root user with only the runtime libraries.
#   docker build -t snug:dev .
# (No Docker engine on the development machines: this file is not built in CI.)
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build pkg-config \
        libmicrohttpd-dev libgnutls28-dev libssl-dev libcurl4-openssl-dev \
        libcjson-dev libyaml-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY lib lib
COPY webhook webhook
COPY tests tests
COPY bench bench
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && ninja -C /build snug-webhook \
    && strip /build/snug-webhook

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libgnutls30 libssl3 libcurl4 libcjson1 libyaml-0-2 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/snug-webhook /snug-webhook
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["/snug-webhook"]
CMD ["serve", "--help"]
