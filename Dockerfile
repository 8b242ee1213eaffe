# snug container image: snug-webhook and snug-controller in one image.
#
#   docker build -t snug:dev .
#   docker run --rm snug:dev /snug-controller --version
#
# build:   Debian bookworm with the compilers and -dev packages; builds both
#          binaries and assembles the runtime file system in /rootfs with
#          scripts/image-rootfs.sh (the binaries, the shared libraries ldd
#          names, the CA bundle, OpenSSL's configuration, passwd/group).
# runtime: FROM scratch, /rootfs and nothing else: no shell, no package
#          manager; runs as 65532:65532. The Pod spec picks the program:
#          command: ["/snug-webhook", "serve", ...] or
#          command: ["/snug-controller", "run", ...].
#
# Size budget: 30 MB uncompressed (about 21 MB on amd64). What is inside,
# why scratch, and how tests/e2e/test_image.py runs the same /rootfs with
# chroot where there is no Docker engine: docs/image.md.
ARG DEBIAN_IMAGE=debian:bookworm

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build pkg-config ca-certificates \
        libmicrohttpd-dev libgnutls28-dev libssl-dev libcurl4-openssl-dev \
        libcjson-dev libyaml-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# CMakeLists.txt globs tests/ and bench/ too; only the two binaries are built.
COPY CMakeLists.txt ./
COPY lib lib
COPY webhook webhook
COPY controller controller
COPY tests tests
COPY bench bench
COPY scripts/image-rootfs.sh scripts/image-rootfs.sh
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSNUG_WERROR=OFF \
    && ninja -C /build snug-webhook snug-controller \
    && scripts/image-rootfs.sh /rootfs /build/snug-webhook /build/snug-controller \
    && chroot --userspec=65532:65532 /rootfs /snug-webhook --version \
    && chroot --userspec=65532:65532 /rootfs /snug-controller --version

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
# 8443: webhook TLS; 9090: webhook /metrics; 8080: controller /metrics.
EXPOSE 8443 9090 8080
CMD ["/snug-webhook", "--help"]
