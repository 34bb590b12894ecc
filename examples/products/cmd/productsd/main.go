// Command productsd runs the products API server (examples/products/server)
// on its own.
//
// Usage:
//
//	productsd [--addr 127.0.0.1:8080] [--db products.db] [--client-id productsctl] [--client-secret S]
//	          [--token-lifetime 1h] [--max-image-bytes 5242880] [--rate-limit 0]
//	          [--idempotency-ttl 24h] [--verbose]
//
// Each flag falls back to an environment variable: PRODUCTS_ADDR,
// PRODUCTS_DB, PRODUCTS_CLIENT_ID, PRODUCTS_CLIENT_SECRET,
// PRODUCTS_TOKEN_LIFETIME, PRODUCTS_MAX_IMAGE_BYTES, PRODUCTS_RATE_LIMIT,
// PRODUCTS_IDEMPOTENCY_TTL.
// Without a client secret, productsd makes a random one and prints it.
// It prints the server's URL once it listens, and stops on SIGINT or
// SIGTERM.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/sdkgen-go/sdkgen/examples/products/server"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "productsd:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ error }

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// run parses args, serves until ctx is done or a signal arrives, prints
// the URL (and a generated secret) to out and logs to logs.
func run(ctx context.Context, args []string, out, logs io.Writer) error {
	fs := flag.NewFlagSet("productsd", flag.ContinueOnError)
	fs.SetOutput(logs)
	addr := fs.String("addr", env("PRODUCTS_ADDR", "127.0.0.1:8080"), "address to listen on (env PRODUCTS_ADDR)")
	db := fs.String("db", env("PRODUCTS_DB", "products.db"), "bbolt database file (env PRODUCTS_DB)")
	clientID := fs.String("client-id", env("PRODUCTS_CLIENT_ID", "productsctl"), "OAuth2 client id (env PRODUCTS_CLIENT_ID)")
	secret := fs.String("client-secret", env("PRODUCTS_CLIENT_SECRET", ""), "OAuth2 client secret; random if empty (env PRODUCTS_CLIENT_SECRET)")
	lifetimeDef, err := durationEnv("PRODUCTS_TOKEN_LIFETIME", server.DefaultTokenLifetime)
	if err != nil {
		return usageError{err}
	}
	lifetime := fs.Duration("token-lifetime", lifetimeDef, "access token lifetime (env PRODUCTS_TOKEN_LIFETIME)")
	maxImageDef, err := numberEnv("PRODUCTS_MAX_IMAGE_BYTES", server.DefaultMaxImageBytes)
	if err != nil {
		return usageError{err}
	}
	maxImage := fs.Int64("max-image-bytes", int64(maxImageDef), "largest image accepted (env PRODUCTS_MAX_IMAGE_BYTES)")
	rateDef, err := numberEnv("PRODUCTS_RATE_LIMIT", 0)
	if err != nil {
		return usageError{err}
	}
	rate := fs.Float64("rate-limit", rateDef, "requests per second per client, 0 for none (env PRODUCTS_RATE_LIMIT)")
	keyTTLDef, err := durationEnv("PRODUCTS_IDEMPOTENCY_TTL", server.DefaultIdempotencyTTL)
	if err != nil {
		return usageError{err}
	}
	keyTTL := fs.Duration("idempotency-ttl", keyTTLDef, "how long Idempotency-Keys are kept; queues must give up on a write sooner (env PRODUCTS_IDEMPOTENCY_TTL)")
	verbose := fs.Bool("verbose", false, "log every request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %q", fs.Args())}
	}
	if *secret == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		*secret = hex.EncodeToString(b[:])
		fmt.Fprintf(out, "client secret (generated): %s\n", *secret)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	srv, err := server.New(server.Options{
		DBPath:         *db,
		Clients:        []server.Client{{ID: *clientID, Secret: *secret}},
		TokenLifetime:  *lifetime,
		MaxImageBytes:  *maxImage,
		RateLimit:      *rate,
		RateBurst:      max(1, int(*rate)),
		IdempotencyTTL: *keyTTL,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx, *addr); err != nil {
		_ = srv.Close()
		return err
	}
	fmt.Fprintf(out, "productsd listening on %s (client id %s)\n", srv.URL(), *clientID)
	<-ctx.Done()
	return srv.Close()
}

func durationEnv(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

func numberEnv(name string, def float64) (float64, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}
