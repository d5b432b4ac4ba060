# A static monban binary on a distroless base, running as a non-root user.
#   docker build -t monban .
#   docker run -p 3001:3001 -e MONBAN_ENDPOINT=https://auth.example.com \
#     -e MONBAN_DATABASE_URL=postgres://monban:…@db:5432/monban \
#     -e MONBAN_SECRET_KEY_FILE=/run/secrets/monban-secret-key monban
# With the embedded SQLite database, mount a named volume on the data
# directory: docker run -v monban-data:/home/nonroot/monban-data … monban
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/monban ./cmd/monban
# The data directory, created here because distroless has no shell: copied
# into the image owned by the non-root user, so that a named volume mounted
# on it starts with that owner and the server can write its database there.
RUN mkdir -p /out/monban-data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/monban /usr/local/bin/monban
COPY --from=build --chown=nonroot:nonroot /out/monban-data /home/nonroot/monban-data
WORKDIR /home/nonroot
ENV MONBAN_ADDR=0.0.0.0:3001 \
    MONBAN_DATABASE_URL=sqlite:///home/nonroot/monban-data/monban.db
EXPOSE 3001
USER nonroot:nonroot
# distroless has no shell or curl: the binary checks itself (GET /healthz
# on MONBAN_ADDR, asked on loopback).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/monban", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/monban"]
CMD ["serve"]
