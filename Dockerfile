# syntax=docker/dockerfile:1.7
# Builds the operator (vexfs-operator, crdgen) and the engine (vexfs-engine) into one minimal,
# non-root runtime image. Pick the entry point per workload:
#   operator: command [/usr/local/bin/vexfs-operator]   engine: the default entry point
#
#   docker build -t ghcr.io/vexfs/vexfs-operator:0.1.0 .
#   docker build -t ghcr.io/vexfs/vexfs-engine:0.1.0 .

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY operator ./operator
COPY engine ./engine
COPY plugin ./plugin
COPY monitoring/rules ./monitoring/rules
COPY tests/e2e ./tests/e2e
COPY scripts/build-operator.sh ./scripts/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p vexfs-operator -p vexfs-engine --bin crdgen --bin vexfs-engine \
 && operator="$(scripts/build-operator.sh --locked)" \
 && mkdir -p /out \
 && cp "$operator" target/release/crdgen target/release/vexfs-engine /out/

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="vexfs-semantic" \
      org.opencontainers.image.description="VexFS Semantic operator and event-analytics engine" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/ /usr/local/bin/
# 65532 = distroless "nonroot"; matches the pods' runAsUser.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/vexfs-engine"]
CMD ["serve", "--config", "/etc/vexfs/engine.toml", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/vexfs"]
