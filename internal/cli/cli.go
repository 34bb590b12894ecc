// Package cli holds what the example command-line programs built on
// generated SDKs share (examples/github/cmd/ghrepos, and productsctl):
// running a cobra command tree with fixed exit codes, flags that fall back
// to environment variables, one readable line per error, and table or JSON
// output.
//
// The conventions:
//
//   - exit status [ExitOK] (0) on success, [ExitFailure] (1) when the API
//     answered with an error or could not be reached, [ExitUsage] (2) for a
//     bad command line (unknown command or flag, bad value, wrong number of
//     arguments, or a [UsageError] from a command);
//   - an error is printed to stderr as one line, "prog: " followed by
//     [ErrorLine];
//   - --base-url, --token and --output on every command, each with an
//     environment variable as fallback (see [BindEnv]); a flag given on the
//     command line wins over the variable;
//   - --output table (the default) or json (see [Output]).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the API answered with an error, or could not be reached
	ExitUsage   = 2 // bad command line
)

// UsageError reports a command line that cannot be run: a command returns
// one for an argument or flag value it refuses, and [Run] exits with
// [ExitUsage].
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a [*UsageError] with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// runError marks an error returned by a command's RunE, as opposed to one
// cobra found in the command line.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// Run executes root with args (without the program name) and returns the
// exit status. Before a command runs, flags bound with [BindEnv] that the
// command line did not set are set from the environment (getenv; nil means
// os.Getenv). Errors go to stderr, one line each, prefixed with the
// program's name; usage errors add a line pointing to --help. Help goes to
// stdout.
//
// Run sets SilenceErrors and SilenceUsage on every command, so that the
// error printed is Run's line and not cobra's usage dump.
func Run(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if getenv == nil {
		getenv = os.Getenv
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	wrap(root, getenv)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	name := root.Name()
	var re *runError
	var ue *UsageError
	if errors.As(err, &re) && !errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s: %s\n", name, ErrorLine(re.err))
		return ExitFailure
	}
	if cmd == nil {
		cmd = root
	}
	fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", name, oneLine(err.Error(), 500), cmd.CommandPath())
	return ExitUsage
}

// wrap makes every command's RunE apply the environment first and mark
// its errors as run errors.
func wrap(c *cobra.Command, getenv func(string) string) {
	c.SilenceErrors, c.SilenceUsage = true, true
	if c.RunE != nil && c.Annotations[wrappedAnnotation] == "" {
		run := c.RunE
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := ApplyEnv(cmd.Flags(), getenv); err != nil {
				return err
			}
			if err := run(cmd, args); err != nil {
				var ue *UsageError
				if errors.As(err, &ue) {
					return err
				}
				return &runError{err}
			}
			return nil
		}
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[wrappedAnnotation] = "yes"
	}
	for _, sub := range c.Commands() {
		wrap(sub, getenv)
	}
}

// wrappedAnnotation marks a command whose RunE is wrapped, so Run can be
// called more than once on one tree.
const wrappedAnnotation = "cli_wrapped"

// envAnnotation is the flag annotation holding its environment variable.
const envAnnotation = "cli_env"

// BindEnv makes the environment variable env the fallback of the flag
// name of fs: [Run] sets the flag from env when the command line did not
// set it. The flag's help text gets " (env ENV)" appended. It panics when
// fs has no such flag (a programming error).
func BindEnv(fs *pflag.FlagSet, name, env string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("cli.BindEnv: no flag --" + name)
	}
	if err := fs.SetAnnotation(name, envAnnotation, []string{env}); err != nil {
		panic(err)
	}
	f.Usage += " (env " + env + ")"
}

// ApplyEnv sets every flag of fs bound with [BindEnv] that was not set on
// the command line from its environment variable, when that is not empty.
// A value the flag refuses is a [*UsageError] naming the variable.
func ApplyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		env := f.Annotations[envAnnotation]
		if err != nil || f.Changed || len(env) == 0 {
			return
		}
		v := getenv(env[0])
		if v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = Usagef("invalid value of %s: %v", env[0], e)
		}
	})
	return err
}

// Output is the value of an --output flag: "table" or "json". It
// implements pflag.Value.
type Output string

// The output formats.
const (
	OutputTable Output = "table"
	OutputJSON  Output = "json"
)

// String returns the format's name.
func (o *Output) String() string { return string(*o) }

// Set accepts "table" or "json".
func (o *Output) Set(s string) error {
	switch Output(s) {
	case OutputTable, OutputJSON:
		*o = Output(s)
		return nil
	}
	return fmt.Errorf("%q is not an output format (table or json)", s)
}

// Type names the flag's value in help text.
func (o *Output) Type() string { return "table|json" }

// oneLine makes text safe for one line of a terminal: control characters
// and line breaks become spaces (a server-sent escape sequence cannot move
// the cursor or change colours), runs of spaces shrink to one, and the
// text is cut at max runes.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == ' ' {
			space = b.Len() > 0
			continue
		}
		need := 1
		if space {
			need = 2
		}
		if n+need > max {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
