# One static image for every ladder action. Build: docker build -t ladder .
# Stage 1 compiles a static, trimmed binary; stage 2 holds only that binary
# and CA certificates. The entrypoint is exec-form: no shell runs in between.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags="-s -w -X github.com/ladder-release/ladder/internal/app.Version=${VERSION}" \
      -o /out/ladder ./cmd/ladder
# The signer (S6) is a program of its own: sigstore-go would triple ladder's
# size and slow every action's start (bench/RESULTS.md, "Signing").
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s -w" \
      -o /out/ladder-sign ./cmd/ladder-sign

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ladder /ladder
COPY --from=build /out/ladder-sign /ladder-sign
ENTRYPOINT ["/ladder"]
