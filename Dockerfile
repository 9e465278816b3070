# Multi-stage build: compile with the full toolchain, ship a slim runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p ocindex && strip target/release/ocindex

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 ocindex
COPY --from=build /src/target/release/ocindex /usr/local/bin/ocindex
USER ocindex
ENV OCINDEX_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["ocindex"]
CMD ["serve"]
