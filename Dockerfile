# Build stage: compile a release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
RUN cargo build --release --locked && strip target/release/overdue

# Runtime stage: the binary, CA certificates, and a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home overdue
COPY --from=build /src/target/release/overdue /usr/local/bin/overdue
USER overdue
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL=sqlite:///data/overdue.db \
    OVERDUE_LISTEN=0.0.0.0:8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
ENTRYPOINT ["overdue"]
CMD ["serve"]
