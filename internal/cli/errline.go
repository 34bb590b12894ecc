package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sdkgen-go/sdkgen/sdk"
)

// ErrorLine describes err on one line for a person at a terminal.
//
// An error that holds an [*sdk.APIError] (also through an [*sdk.RetryError])
// reads
//
//	401 Unauthorized: Bad credentials (GET /users/octocat/repos, request id C0DE:1F3A:…; see https://docs.github.com/rest)
//
// status first, then what the server said — the title or message, and the
// detail, from an RFC 9457 problem or from the members most APIs use
// (message, title, detail, error, error_description, GitHub's errors
// list), else the start of the raw body — then the request, the server's
// request id and the documentation URL the body points to. Retries that
// ran out add "gave up after N attempts". Any other error is its message.
// Text from the server is made safe for a terminal (no control characters)
// and bounded.
func ErrorLine(err error) string {
	if err == nil {
		return ""
	}
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) {
		return oneLine(err.Error(), 500)
	}
	var b strings.Builder
	b.WriteString(oneLine(statusText(apiErr), 80))
	msg, detail, doc := serverSays(apiErr)
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(oneLine(msg, 200))
	}
	if detail != "" && detail != msg {
		b.WriteString(": ")
		b.WriteString(oneLine(detail, 300))
	}
	var ctx []string
	if apiErr.Method != "" || apiErr.URL != "" {
		path := apiErr.URL
		if u, err := url.Parse(apiErr.URL); err == nil && u.Path != "" {
			path = u.EscapedPath()
		}
		ctx = append(ctx, strings.TrimSpace(apiErr.Method+" "+oneLine(path, 200)))
	}
	if apiErr.RequestID != "" {
		ctx = append(ctx, "request id "+oneLine(apiErr.RequestID, 100))
	}
	var re *sdk.RetryError
	if errors.As(err, &re) && re.Attempts > 1 {
		ctx = append(ctx, fmt.Sprintf("gave up after %d attempts", re.Attempts))
	}
	s := strings.Join(ctx, ", ")
	if doc != "" {
		if s != "" {
			s += "; "
		}
		s += "see " + oneLine(doc, 200)
	}
	if s != "" {
		b.WriteString(" (")
		b.WriteString(s)
		b.WriteString(")")
	}
	return b.String()
}

func statusText(e *sdk.APIError) string {
	if e.Status != "" {
		return e.Status
	}
	return fmt.Sprintf("%d", e.StatusCode)
}

// serverSays reads what an error body says: a message, a detail and a
// documentation URL.
func serverSays(e *sdk.APIError) (msg, detail, doc string) {
	if p := e.Problem; p != nil {
		msg, detail = p.Title, p.Detail
	}
	var body struct {
		Message          string            `json:"message"`
		Title            string            `json:"title"`
		Detail           string            `json:"detail"`
		Error            json.RawMessage   `json:"error"`
		ErrorDescription string            `json:"error_description"`
		DocumentationURL string            `json:"documentation_url"`
		Errors           []json.RawMessage `json:"errors"`
	}
	if len(e.Body) > 0 && !e.Truncated && json.Unmarshal(e.Body, &body) == nil {
		var errStr string
		_ = json.Unmarshal(body.Error, &errStr) // "error" may also be an object
		msg = first(msg, body.Message, body.Title, errStr)
		detail = first(detail, body.Detail, body.ErrorDescription, errorsList(body.Errors))
		doc = body.DocumentationURL
		return msg, detail, doc
	}
	if msg != "" || detail != "" {
		return msg, detail, ""
	}
	if e.Model != nil {
		return e.Model.Error(), "", ""
	}
	if len(e.Body) > 0 {
		return string(e.Body), "", ""
	}
	return "", "", ""
}

// errorsList summarizes GitHub's "errors" member: objects with a message,
// or with resource, field and code; or plain strings. At most three.
func errorsList(list []json.RawMessage) string {
	var out []string
	for _, raw := range list {
		if len(out) == 3 {
			out = append(out, fmt.Sprintf("and %d more", len(list)-3))
			break
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			out = append(out, s)
			continue
		}
		var e struct {
			Message  string `json:"message"`
			Resource string `json:"resource"`
			Field    string `json:"field"`
			Code     string `json:"code"`
		}
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		switch {
		case e.Message != "":
			out = append(out, e.Message)
		case e.Field != "" || e.Code != "":
			out = append(out, strings.TrimPrefix(strings.Join(nonEmpty(e.Resource, e.Field), ".")+" "+e.Code, " "))
		}
	}
	return strings.Join(out, "; ")
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func first(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
