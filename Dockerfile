# Wharf: multi-stage build, small runtime image, non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
RUN cargo build --release --locked --bin wharf

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/wharf --uid 10001 wharf
COPY --from=build /src/target/release/wharf /usr/local/bin/wharf
COPY partners /etc/wharf/partners
COPY templates /etc/wharf/templates
WORKDIR /var/lib/wharf
USER wharf
ENV WHARF_DATA_DIR=/var/lib/wharf/data \
    WHARF_PARTNERS_DIR=/etc/wharf/partners \
    WHARF_HTTP__LISTEN=0.0.0.0:8080
EXPOSE 8080
VOLUME ["/var/lib/wharf"]
ENTRYPOINT ["wharf"]
CMD ["serve"]
