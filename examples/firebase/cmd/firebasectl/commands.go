package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sdkgen-go/sdkgen/internal/cli"
	"github.com/sdkgen-go/sdkgen/sdk/auth"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/fbauth"
	"github.com/sdkgen-go/sdkgen/sdk/firebase/rtdb"
)

// Environment variables read when the matching flag is not given.
// FIREBASE_AUTH_EMULATOR_HOST is the name the Firebase SDKs read.
const (
	envAPIKey      = "FIREBASE_API_KEY"
	envEmulator    = "FIREBASE_AUTH_EMULATOR_HOST"
	envDatabaseURL = "FIREBASE_DATABASE_URL"
	envTokenFile   = "FIREBASECTL_TOKEN_FILE"
	envPassword    = "FIREBASECTL_PASSWORD"
)

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Run(ctx, newRoot(), args, stdout, stderr, getenv)
}

type globals struct {
	apiKey, emulator, databaseURL, tokenFile string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "firebasectl",
		Short: "Sign in to Firebase; write, read and watch Realtime Database paths",
		Long: `firebasectl signs a user in to Firebase Authentication, keeps the session
in a token file (mode 0600), and writes, reads and watches paths of a
Realtime Database as that user.

Exit status: 0 on success, 1 when Firebase refused or could not be reached,
2 for a bad command line.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return cli.Usagef("a command is required") },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.apiKey, "api-key", "", "the project's Web API key")
	pf.StringVar(&g.emulator, "auth-emulator", "", "the Auth emulator's host:port")
	pf.StringVar(&g.databaseURL, "database-url", "", "the Realtime Database URL")
	pf.StringVar(&g.tokenFile, "token-file", "", "the session file (default <user config dir>/firebasectl/token.json)")
	cli.BindEnv(pf, "api-key", envAPIKey)
	cli.BindEnv(pf, "auth-emulator", envEmulator)
	cli.BindEnv(pf, "database-url", envDatabaseURL)
	cli.BindEnv(pf, "token-file", envTokenFile)
	root.AddCommand(newSignUp(g), newSignIn(g), newWhoAmI(g), newSet(g), newPush(g), newGet(g), newWatch(g), newSignOut(g))
	return root
}

func (g *globals) store() (*auth.FileStore, error) {
	path := g.tokenFile
	if path == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil, cli.Usagef("no --token-file, and no user config dir: %v", err)
		}
		path = filepath.Join(dir, "firebasectl", "token.json")
	}
	return auth.NewFileStore(path), nil
}

func (g *globals) authClient() (*fbauth.Client, error) {
	if g.apiKey == "" {
		if g.emulator == "" {
			return nil, cli.Usagef("--api-key is required (or %s)", envAPIKey)
		}
		g.apiKey = "emulator-api-key" // the emulator takes any key
	}
	var opts []fbauth.Option
	if g.emulator != "" {
		opts = append(opts, fbauth.WithEmulator(g.emulator))
	}
	c, err := fbauth.NewClient(g.apiKey, opts...)
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	return c, nil
}

// session returns the token source of the saved session.
func (g *globals) session(c *fbauth.Client) (*auth.Source, error) {
	st, err := g.store()
	if err != nil {
		return nil, err
	}
	if t, err := st.Load(); err != nil {
		return nil, err
	} else if t == nil {
		return nil, errors.New("not signed in: run firebasectl signin")
	}
	return c.TokenSource(nil, auth.WithTokenStore(st)), nil
}

// database opens the database as the signed-in user.
func (g *globals) database() (*rtdb.Client, func(), error) {
	if g.databaseURL == "" {
		return nil, nil, cli.Usagef("--database-url is required (or %s)", envDatabaseURL)
	}
	ac, err := g.authClient()
	if err != nil {
		return nil, nil, err
	}
	ts, err := g.session(ac)
	if err != nil {
		ac.Close()
		return nil, nil, err
	}
	db, err := rtdb.NewClient(g.databaseURL, rtdb.WithIDTokens(ts))
	if err != nil {
		ac.Close()
		return nil, nil, cli.Usagef("--database-url: %v", err)
	}
	return db, func() { db.Close(); ac.Close() }, nil
}

type passwordFlag struct{ password string }

func (p *passwordFlag) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.password, "password", "", "the password")
	cli.BindEnv(cmd.Flags(), "password", envPassword)
}

func newSignUp(g *globals) *cobra.Command {
	var p passwordFlag
	cmd := &cobra.Command{
		Use:   "signup <email>",
		Short: "Create a user with an email and a password, and sign in",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return signIn(cmd.Context(), cmd.OutOrStdout(), g, func(c *fbauth.Client) (*fbauth.Session, error) {
				return c.SignUp(cmd.Context(), args[0], p.password)
			})
		},
	}
	p.bind(cmd)
	return cmd
}

func newSignIn(g *globals) *cobra.Command {
	var p passwordFlag
	var anonymous bool
	cmd := &cobra.Command{
		Use:   "signin [<email>]",
		Short: "Sign in with an email and a password, or anonymously",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if anonymous != (len(args) == 0) {
				return cli.Usagef("give an email, or --anonymous")
			}
			return signIn(cmd.Context(), cmd.OutOrStdout(), g, func(c *fbauth.Client) (*fbauth.Session, error) {
				if anonymous {
					return c.SignInAnonymously(cmd.Context())
				}
				return c.SignInWithPassword(cmd.Context(), args[0], p.password)
			})
		},
	}
	p.bind(cmd)
	cmd.Flags().BoolVar(&anonymous, "anonymous", false, "sign in as a new anonymous user")
	return cmd
}

func signIn(ctx context.Context, out io.Writer, g *globals, do func(*fbauth.Client) (*fbauth.Session, error)) error {
	c, err := g.authClient()
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := g.store()
	if err != nil {
		return err
	}
	s, err := do(c)
	if err != nil {
		return explain(err)
	}
	if err := st.Save(s.Token()); err != nil {
		return fmt.Errorf("signed in, but the session could not be saved: %w", err)
	}
	_, err = fmt.Fprintf(out, "signed in as %s\n", describe(s.UserID, s.Email))
	return err
}

func describe(uid, email string) string {
	if email == "" {
		return uid + " (anonymous)"
	}
	return uid + " <" + email + ">"
}

func newWhoAmI(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the signed-in user",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.authClient()
			if err != nil {
				return err
			}
			defer c.Close()
			ts, err := g.session(c)
			if err != nil {
				return err
			}
			tok, err := ts.Token(cmd.Context())
			if err != nil {
				return explain(err)
			}
			u, err := c.LookUp(cmd.Context(), tok.AccessToken)
			if err != nil {
				return explain(err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), describe(u.UserID, u.Email))
			return err
		},
	}
}

// explain words an error for the command line: Firebase's own reason when
// it gave one (the SDK's generic line would show only the status), and a
// hint when the session is over.
func explain(err error) error {
	if err == nil {
		return nil
	}
	var fe *fbauth.Error
	var re *rtdb.Error
	switch {
	case fbauth.SignInAgain(err):
		return fmt.Errorf("the session is no longer valid, sign in again (%s)", reason(err))
	case errors.As(err, &fe) && fe.Code != "", errors.As(err, &re) && re.Message != "":
		return errors.New(reason(err))
	}
	return err
}

// reason is the innermost Firebase error's text.
func reason(err error) string {
	var fe *fbauth.Error
	var re *rtdb.Error
	switch {
	case errors.As(err, &fe):
		return fe.Error()
	case errors.As(err, &re):
		return re.Error()
	}
	return err.Error()
}

// withDB runs f with the database opened as the signed-in user and the
// path's reference, after checking the command's JSON argument (value,
// when it has one).
func (g *globals) withDB(cmd *cobra.Command, path string, value *string, f func(ref rtdb.Ref, v json.RawMessage) error) error {
	var v json.RawMessage
	if value != nil {
		if !json.Valid([]byte(*value)) {
			return cli.Usagef("the value is not JSON: %s", *value)
		}
		v = json.RawMessage(*value)
	}
	db, done, err := g.database()
	if err != nil {
		return err
	}
	defer done()
	return explain(f(db.Ref(path), v))
}

func newSet(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "set <path> <json>",
		Short:   "Replace the value at path",
		Example: `  firebasectl set rooms/lobby '{"topic":"Go"}'`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(cmd, args[0], &args[1], func(ref rtdb.Ref, v json.RawMessage) error {
				return rtdb.Set(cmd.Context(), ref, v)
			})
		},
	}
}

func newPush(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "push <path> <json>",
		Short: "Add a child with a new, time-ordered key; print its path",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(cmd, args[0], &args[1], func(ref rtdb.Ref, v json.RawMessage) error {
				child, err := rtdb.Push(cmd.Context(), ref, v)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), child.Path())
				return err
			})
		},
	}
}

func newGet(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get <path>",
		Short: "Print the value at path as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(cmd, args[0], nil, func(ref rtdb.Ref, _ json.RawMessage) error {
				v, err := rtdb.Get[json.RawMessage](cmd.Context(), ref)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(v))
				return err
			})
		},
	}
}

func newWatch(g *globals) *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "watch <path>",
		Short: "Print the value at path now and on every change (Ctrl-C stops)",
		Long: `watch listens to path over the Realtime Database's event stream and prints
one line per change: the event (put or patch), where it changed, and the
whole value as JSON. Dropped connections are resumed, and an expired token
is refreshed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			return g.withDB(cmd, args[0], nil, func(ref rtdb.Ref, _ json.RawMessage) error {
				n := 0
				for snap, err := range rtdb.Listen[any](cmd.Context(), ref) {
					if err != nil {
						if cmd.Context().Err() != nil {
							return nil // interrupted
						}
						return err
					}
					b, _ := json.Marshal(snap.Value)
					if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", snap.Event, snap.Changed, b); err != nil {
						return err
					}
					if n++; count > 0 && n >= count {
						return nil
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many snapshots (0: never)")
	return cmd
}

func newSignOut(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "signout",
		Short: "Forget the session (delete the token file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := g.tokenFile
			if path == "" {
				dir, err := os.UserConfigDir()
				if err != nil {
					return err
				}
				path = filepath.Join(dir, "firebasectl", "token.json")
			}
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "signed out")
			return err
		},
	}
}
