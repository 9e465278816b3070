# Multi-stage build: compile with the full toolchain, ship a slim runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src

# 1. Dependencies alone, in a layer of their own: it is rebuilt only when a manifest or
#    Cargo.lock changes, not at every change of our sources. The workspace's crates are stubs
#    here (empty libraries, an empty main) so that only the registry crates get compiled.
COPY Cargo.toml Cargo.lock ./
COPY api/Cargo.toml api/
COPY entity/Cargo.toml entity/
COPY migration/Cargo.toml migration/
COPY reference/Cargo.toml reference/
COPY tests/Cargo.toml tests/
RUN for crate in api entity migration reference tests; do \
        mkdir -p "$crate/src" && : > "$crate/src/lib.rs"; \
    done \
    && mkdir -p tests/api tests/src/bin \
    && for main in api/src/main.rs tests/build.rs tests/api/main.rs tests/src/bin/ocindex-server.rs; do \
        echo 'fn main() {}' > "$main"; \
    done \
    && cargo build --release --locked -p ocindex \
    && rm -rf api entity migration reference tests

# npm fetches the IDE's assets (GraphiQL, React) for api/build.rs, which embeds them
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*

# 2. Our sources. Touched, so that cargo rebuilds them rather than trusting the stubs' artefacts
#    (the build context keeps the files' own, older, modification times).
COPY . .
RUN find api entity migration reference -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p ocindex \
    && strip target/release/ocindex

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 ocindex
COPY --from=build /src/target/release/ocindex /usr/local/bin/ocindex
USER ocindex
ENV OCINDEX_BIND=0.0.0.0:8080
EXPOSE 8080
# `ocindex healthcheck` GETs /readyz (the image has no curl): unhealthy when the server is
# down, hung, or cannot reach its database.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["ocindex", "healthcheck"]
ENTRYPOINT ["ocindex"]
CMD ["serve"]
