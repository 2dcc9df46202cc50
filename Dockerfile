# perfdb in a container: the release tarball (`make dist`) on debian:bookworm-slim with the one
# runtime library it needs (docs/install.md). The runtime stage repeats the steps
# `make dist-check` proves on a debootstrap minbase bookworm.
#
#   docker build -t perfdb .
#   docker run --rm -v "$PWD:/data" perfdb ingest summary.json --scenario load
#   docker run --rm -v "$PWD:/data" perfdb check latest

# Build: the same `make dist` as on any machine (static Swift runtime, man pages, completions).
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY . .
RUN make dist \
    && cp dist/perfdb-*-linux-*.tar.gz /perfdb.tar.gz

# Run: a minimal Debian, libsqlite3-0, and the tarball unpacked into /usr/local.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /perfdb.tar.gz /tmp/perfdb.tar.gz
RUN mkdir -p /usr/local/share/doc/perfdb \
    && tar -xzf /tmp/perfdb.tar.gz -C /usr/local --strip-components=1 --no-same-owner \
        --exclude='*/LICENSE' --exclude='*/README.md' \
    && tar -xzf /tmp/perfdb.tar.gz -C /usr/local/share/doc/perfdb --strip-components=1 \
        --no-same-owner --wildcards '*/LICENSE' '*/README.md' \
    && rm /tmp/perfdb.tar.gz \
    && perfdb --version
# The database defaults to ./perfdb.sqlite: mount the folder that holds it (or set PERFDB_DB).
WORKDIR /data
ENTRYPOINT ["perfdb"]
CMD ["--help"]
