package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/goleak"

	"github.com/sdkgen-go/sdkgen/sdk"
	"github.com/sdkgen-go/sdkgen/sdk/sdkimpl"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// call makes one GET through a real sdk.Client to a server that answers
// with status, content type and body, and returns the call's error.
func call(t *testing.T, status int, contentType, body string, opts ...sdk.Option) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-42")
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	c, err := sdk.NewClient(srv.URL, append([]sdk.Option{sdk.WithMaxRetries(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	op := &sdk.Operation{ID: "things/get", Method: http.MethodGet, Path: "/things/{id}"}
	resp, err := sdkimpl.Do(context.Background(), c, op, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"things/7?secret=s3", nil)
	})
	if err == nil {
		resp.Body.Close()
		t.Fatal("the call succeeded")
	}
	return err
}

// ErrorLine puts status, message, detail, request, request id and
// documentation URL on one line, from each of the body shapes APIs send.
func TestErrorLine(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        string
	}{
		{"GitHub", 401, "application/json; charset=utf-8", `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`,
			"401 Unauthorized: Bad credentials (GET /things/7, request id req-42; see https://docs.github.com/rest)"},
		{"GitHub validation", 422, "application/json", `{"message":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"},{"message":"labels are locked"},"plain"],"documentation_url":"https://docs.github.com/rest/issues"}`,
			"422 Unprocessable Entity: Validation Failed: Issue.title missing_field; labels are locked; plain (GET /things/7, request id req-42; see https://docs.github.com/rest/issues)"},
		{"problem", 409, "application/problem+json", `{"type":"about:blank","title":"Conflict","detail":"thing 7 is locked","status":409}`,
			"409 Conflict: Conflict: thing 7 is locked (GET /things/7, request id req-42)"},
		{"OAuth", 400, "application/json", `{"error":"invalid_grant","error_description":"refresh token expired"}`,
			"400 Bad Request: invalid_grant: refresh token expired (GET /things/7, request id req-42)"},
		{"error object", 500, "application/json", `{"error":{"code":7},"message":"internal"}`,
			"500 Internal Server Error: internal (GET /things/7, request id req-42)"},
		{"text", 502, "text/plain", "upstream\nwent away\x1b[2J",
			"502 Bad Gateway: upstream went away [2J (GET /things/7, request id req-42)"},
		{"empty", 404, "", "",
			"404 Not Found (GET /things/7, request id req-42)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := call(t, tc.status, tc.contentType, tc.body)
			if got := ErrorLine(err); got != tc.want {
				t.Errorf("ErrorLine =\n%q, want\n%q", got, tc.want)
			}
		})
	}
}

// Retries that ran out say so; errors without a response are their
// message, on one line; the query (where keys travel) never shows.
func TestErrorLineRetriesAndTransport(t *testing.T) {
	err := call(t, 503, "application/json", `{"message":"try later"}`,
		sdk.WithRetry(sdk.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	want := "503 Service Unavailable: try later (GET /things/7, request id req-42, gave up after 3 attempts)"
	if got := ErrorLine(err); got != want {
		t.Errorf("ErrorLine =\n%q, want\n%q", got, want)
	}

	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, cerr := sdk.NewClient(url, sdk.WithMaxRetries(0))
	if cerr != nil {
		t.Fatal(cerr)
	}
	defer c.Close()
	_, err = sdkimpl.Do(context.Background(), c, &sdk.Operation{ID: "x", Method: "GET", Path: "/x"}, func(server string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, server+"x?key=s3cret", nil)
	})
	got := ErrorLine(err)
	if !strings.Contains(got, "connection refused") || strings.Contains(got, "s3cret") || strings.Contains(got, "\n") {
		t.Errorf("ErrorLine = %q", got)
	}
	if ErrorLine(nil) != "" {
		t.Error("ErrorLine(nil) is not empty")
	}
	if got := ErrorLine(errors.New("a\nb\tc")); got != "a b c" {
		t.Errorf("ErrorLine = %q", got)
	}
}

// newTree is a small program: a root with persistent --token and
// --output bound to variables, and one command "get" taking one argument
// that fails as the argument says.
func newTree(seen *string, out *Output) *cobra.Command {
	root := &cobra.Command{Use: "prog", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return Usagef("a command is required") }}
	var token string
	*out = OutputTable
	root.PersistentFlags().StringVar(&token, "token", "", "token")
	root.PersistentFlags().Var(out, "output", "format")
	BindEnv(root.PersistentFlags(), "token", "PROG_TOKEN")
	BindEnv(root.PersistentFlags(), "output", "PROG_OUTPUT")
	root.AddCommand(&cobra.Command{Use: "get <what>", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		*seen = token
		switch args[0] {
		case "fail":
			return errors.New("it\nfailed")
		case "misuse":
			return Usagef("bad %s", "argument")
		}
		fmt.Fprintln(cmd.OutOrStdout(), "ok", args[0])
		return nil
	}})
	return root
}

// Run maps outcomes to exit statuses and prints errors as one line (plus
// a pointer to --help for usage errors); environment variables fill in
// flags the command line left out, and never win over it.
func TestRun(t *testing.T) {
	env := map[string]string{"PROG_TOKEN": "from-env"}
	for _, tc := range []struct {
		args         []string
		env          map[string]string
		code         int
		stdout       string
		stderr       string
		token        string
		outputFormat Output
	}{
		{args: []string{"get", "x"}, code: ExitOK, stdout: "ok x\n", token: "", outputFormat: OutputTable},
		{args: []string{"get", "x"}, env: env, code: ExitOK, stdout: "ok x\n", token: "from-env", outputFormat: OutputTable},
		{args: []string{"get", "x", "--token", "flag"}, env: env, code: ExitOK, stdout: "ok x\n", token: "flag", outputFormat: OutputTable},
		{args: []string{"get", "x"}, env: map[string]string{"PROG_OUTPUT": "json"}, code: ExitOK, stdout: "ok x\n", outputFormat: OutputJSON},
		{args: []string{"get", "x", "--output", "table"}, env: map[string]string{"PROG_OUTPUT": "json"}, code: ExitOK, stdout: "ok x\n", outputFormat: OutputTable},
		{args: []string{"get", "fail"}, code: ExitFailure, stderr: "prog: it failed\n", outputFormat: OutputTable},
		{args: []string{"get", "misuse"}, code: ExitUsage, stderr: "prog: bad argument\nRun 'prog get --help' for usage.\n", outputFormat: OutputTable},
		{args: []string{"get"}, code: ExitUsage, stderr: "prog: accepts 1 arg(s), received 0\nRun 'prog get --help' for usage.\n"},
		{args: []string{"get", "x", "--nope"}, code: ExitUsage, stderr: "prog: unknown flag: --nope\nRun 'prog get --help' for usage.\n"},
		{args: []string{"get", "x", "--output", "xml"}, code: ExitUsage, stderr: "prog: invalid argument \"xml\" for \"--output\" flag: \"xml\" is not an output format (table or json)\nRun 'prog get --help' for usage.\n"},
		{args: []string{"get", "x"}, env: map[string]string{"PROG_OUTPUT": "xml"}, code: ExitUsage, stderr: "prog: invalid value of PROG_OUTPUT: invalid argument \"xml\" for \"--output\" flag: \"xml\" is not an output format (table or json)\nRun 'prog get --help' for usage.\n"},
		{args: []string{"nope"}, code: ExitUsage, stderr: "prog: unknown command \"nope\" for \"prog\"\nRun 'prog --help' for usage.\n"},
		{args: nil, code: ExitUsage, stderr: "prog: a command is required\nRun 'prog --help' for usage.\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var seen string
			var out Output
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			code := Run(context.Background(), newTree(&seen, &out), tc.args, &stdout, &stderr, getenv)
			if code != tc.code || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("Run = %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
			}
			if tc.code == ExitOK && (seen != tc.token || out != tc.outputFormat) {
				t.Errorf("token %q, output %q; want %q, %q", seen, out, tc.token, tc.outputFormat)
			}
		})
	}
}

// Help names each bound variable, goes to stdout, and exits 0.
func TestRunHelp(t *testing.T) {
	var seen string
	var out Output
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), newTree(&seen, &out), []string{"get", "--help"}, &stdout, &stderr, nil)
	if code != ExitOK || stderr.Len() != 0 || !strings.Contains(stdout.String(), "token (env PROG_TOKEN)") || !strings.Contains(stdout.String(), "--output table|json") {
		t.Errorf("Run = %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// Tables line up, and a cell from a server can neither add a line, nor
// a column, nor an escape sequence; long cells are cut.
func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	err := WriteTable(&b, []string{"NAME", "NOTE"}, [][]string{
		{"a", "short"},
		{"longer-name", "two\nlines\tand a tab \x1b[31mred\x1b[0m"},
		{"c", strings.Repeat("x", 30)},
	}, 20)
	if err != nil {
		t.Fatal(err)
	}
	want := "NAME         NOTE\n" +
		"a            short\n" +
		"longer-name  two lines and a tab…\n" +
		"c            xxxxxxxxxxxxxxxxxxxx…\n"
	if b.String() != want {
		t.Errorf("table =\n%s\nwant\n%s", b.String(), want)
	}
	if got := Cell("  padded\r\n  text  ", 0); got != "padded text" {
		t.Errorf("Cell = %q", got)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, []map[string]any{{"a": 1}}); err != nil {
		t.Fatal(err)
	}
	if want := "[\n  {\n    \"a\": 1\n  }\n]\n"; b.String() != want {
		t.Errorf("WriteJSON = %q, want %q", b.String(), want)
	}
}

// BindEnv refuses a flag that does not exist: a typo in a program is
// found when it starts, not when a user relies on the variable.
func TestBindEnvUnknownFlagPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	BindEnv((&cobra.Command{}).Flags(), "nope", "NOPE")
}
