# Wharf: a multi-stage build into a small runtime image that runs as a non-root user.
#
#   docker build -t wharf .            (or: podman build -t wharf .)
#   docker run -p 8080:8080 -p 2222:2222 -v wharf-data:/var/lib/wharf/data \
#       -v wharf-partners:/var/lib/wharf/partners -v wharf-certs:/var/lib/wharf/certs wharf
#
# The base images are arguments so that a machine without a registry can build from its own
# (scripts/container-test makes both from a debootstrap'd Debian and the host's toolchain).
ARG RUST_IMAGE=docker.io/library/rust:1.95-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
# The openssl crate links the system's OpenSSL (S/MIME through its CMS functions).
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
# askama compiles the admin pages' templates into the binary.
COPY templates ./templates
# Cargo.toml names the benches; their sources must exist for the manifest to load.
COPY benches ./benches
# The sample profiles are compiled in: `wharf partners new --from acme` starts from them.
COPY partners ./partners
# The registry and target caches survive between builds (BuildKit and buildah both honour
# cache mounts); the binary is copied out of the cache within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin wharf \
    && install -D -m 0755 target/release/wharf /out/wharf

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/wharf --create-home \
       --shell /usr/sbin/nologin wharf \
    && install -d -o wharf -g wharf -m 0700 /var/lib/wharf/data /var/lib/wharf/certs \
    && install -d -o wharf -g wharf -m 0750 /var/lib/wharf/partners
COPY --from=build /out/wharf /usr/local/bin/wharf
# The sample profiles, for reference only: an operator starts from them
# (`wharf partners new ID --from acme` or a copy into the partners volume).
COPY partners /usr/share/wharf/partners.sample
WORKDIR /var/lib/wharf
USER wharf
# Everything relative to /var/lib/wharf: the database in data/, profiles in partners/ (the
# admin pages save edits there, so it belongs to the wharf user), keys and certificates in
# certs/ (Wharf's AS2 pair and SSH host key are made there on the first start).
ENV WHARF_DATA_DIR=/var/lib/wharf/data \
    WHARF_DATABASE_URL=sqlite:///var/lib/wharf/data/wharf.db \
    WHARF_PARTNERS_DIR=/var/lib/wharf/partners \
    WHARF_AS2__CERT=/var/lib/wharf/certs/as2_cert.pem \
    WHARF_AS2__KEY=/var/lib/wharf/certs/as2_key.pem \
    WHARF_SFTP__HOST_KEY=/var/lib/wharf/certs/ssh_host_ed25519_key \
    WHARF_HTTP__LISTEN=0.0.0.0:8080 \
    WHARF_SFTP__LISTEN=0.0.0.0:2222 \
    WHARF_LOG_FORMAT=json
VOLUME ["/var/lib/wharf/data", "/var/lib/wharf/partners", "/var/lib/wharf/certs"]
# HTTP: admin pages, partner API, /as2, /metrics (put TLS in front, or set [http] tls_*).
EXPOSE 8080
# Wharf's SFTP server for partners.
EXPOSE 2222
# Alive, not ready: a container whose Odoo is down must not be restarted for it
# (documents are stored and wait); load balancers ask /readyz?scope=ingest themselves.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["wharf", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["wharf"]
CMD ["serve"]
