# A static monban binary on a distroless base, running as a non-root user.
#   docker build -t monban .
#   docker run -p 3001:3001 -e MONBAN_ADDR=0.0.0.0:3001 -e MONBAN_ENDPOINT=https://auth.example.com \
#     -e MONBAN_DATABASE_URL=postgres://monban:…@db:5432/monban \
#     -e MONBAN_SECRET_KEY_FILE=/run/secrets/monban-secret-key monban
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/monban ./cmd/monban

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/monban /usr/local/bin/monban
# The embedded SQLite database, when used, lives here (mount a volume).
WORKDIR /home/nonroot
ENV MONBAN_ADDR=0.0.0.0:3001 \
    MONBAN_DATABASE_URL=sqlite:///home/nonroot/monban-data/monban.db
EXPOSE 3001
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/monban"]
CMD ["serve"]
