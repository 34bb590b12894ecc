package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/examples/products"
	"github.com/sdkgen-go/sdkgen/internal/cli"
	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/outbox"
)

// The offline queue: create, update and delete with --queue record the
// write in a file (sdk/outbox) instead of sending it; "queue" lists what
// waits, "queue sync" sends it.

const envQueueFile = "PRODUCTS_QUEUE_FILE"

// defaultQueueFile is the queue's file when --queue-file is not given.
func defaultQueueFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "productsctl", "outbox.db")
}

// openQueue opens the queue file the flags name.
func (g *globals) openQueue(opts ...outbox.Option) (*outbox.Queue, error) {
	if err := os.MkdirAll(filepath.Dir(g.queueFile), 0o700); err != nil {
		return nil, err
	}
	return outbox.Open(g.queueFile, opts...)
}

// enqueue records the write call makes in the queue, and says so.
func (g *globals) enqueue(ctx context.Context, w io.Writer, label string, call func(c *products.Client) outbox.Call, opts ...outbox.WriteOption) error {
	q, err := g.openQueue()
	if err != nil {
		return err
	}
	defer q.Close()
	// The client only builds the request; nothing is sent, so it needs no
	// credentials, and none reach the file.
	c, err := products.NewClient(g.baseURL, sdk.WithUserAgent(userAgent))
	if err != nil {
		return err
	}
	defer c.Close()
	h, err := q.Enqueue(ctx, call(c), append(opts, outbox.Label(label))...)
	if err != nil {
		return err
	}
	if g.output == cli.OutputJSON {
		return cli.WriteJSON(w, map[string]any{"queued": h.ID, "idempotency_key": h.Key, "label": label})
	}
	_, err = fmt.Fprintf(w, "queued #%d: %s (send it with: productsctl queue sync)\n", h.ID, label)
	return err
}

func newQueue(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Show the writes queued offline (create, update and delete with --queue)",
		Long: `queue lists the writes waiting in the offline queue (--queue-file), and the
ones the queue gave up on: rejected by the server, lost in a conflict, or
expired. "queue sync" sends them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := g.openQueue()
			if err != nil {
				return err
			}
			defer q.Close()
			pending, err := q.Pending()
			if err != nil {
				return err
			}
			dead, err := q.Dead()
			if err != nil {
				return err
			}
			return writeQueue(cmd.OutOrStdout(), g.output, pending, dead)
		},
	}
	cmd.AddCommand(newQueueSync(g))
	return cmd
}

func newQueueSync(g *globals) *cobra.Command {
	var policy string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Send the queued writes now",
		Long: `sync sends the queued writes, in order per product, each with its own
Idempotency-Key (so a write the server already applied is not applied again),
and reports what became of each. A write refused with 412 (the product changed
since) is handled by --on-conflict: server (drop it), client (send it again
against the current version) or merge (client, but stock counts as a change:
a queued "stock 7" made from 10 turns into current - 3).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, ok := map[string]outbox.Policy{"server": outbox.ServerWins, "client": outbox.ClientWins, "merge": outbox.MergeChanges}[policy]
			if !ok {
				return cli.Usagef("--on-conflict must be server, client or merge, not %q", policy)
			}
			out := cmd.OutOrStdout()
			q, err := g.openQueue(outbox.WithConflictPolicy(p), outbox.WithMerge(mergeProduct),
				outbox.WithOnEvent(func(ev outbox.Event) { printEvent(out, ev) }))
			if err != nil {
				return err
			}
			defer q.Close()
			c, err := g.newClient(q.Watch())
			if err != nil {
				return err
			}
			defer c.Close()
			if err := q.Start(c.SDK()); err != nil {
				return err
			}
			n := q.Len()
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			if err := q.Flush(ctx); err != nil {
				return err
			}
			fmt.Fprintf(out, "synced: %d queued %s handled, %d still queued\n", n, plural(n, "write", "writes"), q.Len())
			return nil
		},
	}
	cmd.Flags().StringVar(&policy, "on-conflict", "server", "what to do with a write refused with 412: server, client or merge")
	return cmd
}

// printEvent writes one line about a queued write's progress.
func printEvent(w io.Writer, ev outbox.Event) {
	e := ev.Entry
	switch ev.Kind {
	case outbox.EventQueued:
		fmt.Fprintf(w, "   ⧗ #%d queued: %s\n", e.ID, cli.Cell(e.Label, 60))
	case outbox.EventSent:
		fmt.Fprintf(w, "   ✓ #%d sent (%d): %s\n", e.ID, ev.Status, cli.Cell(e.Label, 60))
	case outbox.EventConflict:
		fmt.Fprintf(w, "   ⚡ #%d conflict (%d): the product changed since the write was made\n", e.ID, ev.Status)
	case outbox.EventResolved:
		fmt.Fprintf(w, "   ↺ #%d resolved: sent again against ETag %s, with a new Idempotency-Key\n", e.ID, e.IfMatch)
	case outbox.EventDead:
		fmt.Fprintf(w, "   ✗ #%d gave up: %s: %s\n", e.ID, ev.Reason, cli.Cell(errorText(ev.Err), 100))
	}
}

func errorText(err error) string {
	var de *outbox.DeadError
	if errors.As(err, &de) && de.Dead.Detail != "" {
		return de.Dead.Detail
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// mergeProduct resolves a conflict of a queued product write: the fields
// the write changed from the version it was made against are set on the
// current version, and the stock as a difference (units sold or received
// while offline add to what others did); what the write did not change
// keeps the server's value. Without the base version the write's own
// fields win.
func mergeProduct(_ context.Context, c outbox.Conflict) ([]byte, error) {
	if c.Local == nil || c.Base == nil {
		return c.Local, nil
	}
	var base, remote products.Product
	var local products.ProductUpdate
	if err := errors.Join(json.Unmarshal(c.Base, &base), json.Unmarshal(c.Remote, &remote), json.Unmarshal(c.Local, &local)); err != nil {
		return nil, fmt.Errorf("merging product %s: %w", remote.ID, err)
	}
	if local.Stock != nil {
		merged := max(remote.Stock+(*local.Stock-base.Stock), 0)
		local.Stock = &merged
	}
	return json.Marshal(local)
}

func writeQueue(w io.Writer, out cli.Output, pending []outbox.Entry, dead []outbox.Dead) error {
	if out == cli.OutputJSON {
		if pending == nil {
			pending = []outbox.Entry{}
		}
		if dead == nil {
			dead = []outbox.Dead{}
		}
		return cli.WriteJSON(w, map[string]any{"pending": pending, "dead": dead})
	}
	rows := make([][]string, 0, len(pending)+len(dead))
	for _, e := range pending {
		state := "queued"
		if e.Attempts > 0 {
			state = fmt.Sprintf("retrying (%d)", e.Attempts)
		}
		rows = append(rows, []string{strconv.FormatUint(e.ID, 10), state, e.Method, e.Resource, e.Label, e.Enqueued.Format(time.DateTime), e.LastError})
	}
	for _, d := range dead {
		detail := d.Detail
		if d.Status != 0 {
			detail = strconv.Itoa(d.Status) + " " + detail
		}
		rows = append(rows, []string{strconv.FormatUint(d.ID, 10), "dead: " + string(d.Reason), d.Method, d.Resource, d.Label, d.Enqueued.Format(time.DateTime), detail})
	}
	return cli.WriteTable(w, []string{"ID", "STATE", "METHOD", "RESOURCE", "WRITE", "QUEUED", "LAST ERROR"}, rows, 60)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
