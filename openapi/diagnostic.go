package openapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sdkgen-go/sdkgen/internal/gotext"
)

// Severity says how bad a [Diagnostic] is.
type Severity int

// Severities, from most to least severe. Only [SeverityError] stops
// generation; warnings do so only in strict mode.
const (
	SeverityError Severity = iota + 1
	SeverityWarning
	SeverityInfo
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SeverityError
	case "warning":
		*s = SeverityWarning
	case "info":
		*s = SeverityInfo
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Position is a place in a source file. Line and Column are 1-based; Column
// counts characters (runes), not bytes. A zero Line means the place is not
// known beyond the file.
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// IsValid reports whether the position names at least a file.
func (p Position) IsValid() bool { return p.File != "" }

// String formats the position as file:line:col, dropping the parts that are
// not known.
func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Diagnostic is one finding about a spec or a configuration: what (a stable
// Code), how bad (Severity), where (a JSON pointer into the file named by Pos,
// and Pos itself) and what to do about it (Fix, when there is advice to give).
type Diagnostic struct {
	// Code is stable across releases; tools may match on it. See the Code*
	// constants.
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	// Pointer is the RFC 6901 JSON pointer of the offending value in the file
	// named by Pos.File ("" for the whole document).
	Pointer string   `json:"pointer"`
	Pos     Position `json:"position"`
	Message string   `json:"message"`
	// Fix suggests how to resolve the problem; it may be empty.
	Fix string `json:"fix,omitempty"`
}

// String formats the diagnostic on one line, the way compilers do:
//
//	spec.yaml:12:9: error[ref.dangling] #/paths/~1pets/get/...: message
//
// Control and bidirectional-formatting characters that a spec put in a
// name are escaped (\n, \u202e): the line is safe to print on a terminal.
func (d Diagnostic) String() string {
	var b strings.Builder
	if p := d.Pos.String(); p != "" {
		b.WriteString(gotext.Printable(p))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s[%s]", d.Severity, gotext.Printable(d.Code))
	if d.Pointer != "" {
		b.WriteString(" #")
		b.WriteString(gotext.Printable(d.Pointer))
	}
	b.WriteString(": ")
	b.WriteString(gotext.Printable(d.Message))
	return b.String()
}

// Diagnostics is a list of findings.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SeverityError })
}

// Count returns how many diagnostics have the given severity.
func (ds Diagnostics) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders the diagnostics by file, line, column, code and pointer, so that
// output is stable whatever order the checks ran in.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Pointer, b.Pointer),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Err returns nil when there is no error diagnostic, and otherwise an error
// whose message lists the errors. The error unwraps to each error diagnostic
// as a [*DiagnosticError].
func (ds Diagnostics) Err() error {
	var errs []error
	for i := range ds {
		if ds[i].Severity == SeverityError {
			errs = append(errs, &DiagnosticError{Diagnostic: ds[i]})
		}
	}
	return errors.Join(errs...)
}

// MarshalJSON encodes a nil list as [] rather than null.
func (ds Diagnostics) MarshalJSON() ([]byte, error) {
	if ds == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Diagnostic(ds))
}

// DiagnosticError is an error diagnostic used as a Go error, so callers can
// reach the code and position with errors.As.
type DiagnosticError struct {
	Diagnostic Diagnostic
}

func (e *DiagnosticError) Error() string { return e.Diagnostic.String() }

// Diagnostic codes. They are part of the public contract: tools and tests
// match on them, so they never change meaning.
const (
	// Reading the spec and the files it refers to.
	CodeSourceNotFound   = "source.not-found"     // the spec file or URL does not exist
	CodeSourceUnreadable = "source.unreadable"    // I/O error, timeout, HTTP error status
	CodeSourceTooLarge   = "source.too-large"     // a file exceeds the size cap
	CodeSourceInvalid    = "source.invalid"       // the source argument itself is unusable
	CodeSyntax           = "syntax.invalid"       // not well-formed YAML or JSON
	CodeSyntaxTooComplex = "syntax.too-complex"   // nesting depth or alias expansion over the limit
	CodeDuplicateKey     = "syntax.duplicate-key" // a key repeated in one object: the last one is used

	// What the document is.
	CodeNotASpec           = "spec.not-openapi"           // no "openapi" or "swagger" version field
	CodeUnsupportedVersion = "spec.unsupported-version"   // e.g. Swagger 1.2 or OpenAPI 4
	CodeSpecInvalid        = "spec.invalid"               // a value of the wrong type, or the document cannot be modelled
	CodeSpecValidation     = "spec.validation"            // a rule of the OpenAPI specification is broken; generation goes on
	CodeExampleInvalid     = "spec.example-invalid"       // an example does not match its schema
	CodeConversion         = "spec.conversion"            // Swagger 2.0 to OpenAPI 3.0 conversion failed
	CodeConversionNote     = "spec.converted"             // the spec was converted from Swagger 2.0
	CodeExternalInSwagger2 = "spec.swagger2-external-ref" // multi-file Swagger 2.0 is not supported

	// References.
	CodeRefDangling      = "ref.dangling"       // the target file exists but the pointer leads nowhere
	CodeRefFileMissing   = "ref.file-not-found" // the referenced file cannot be read
	CodeRefForbidden     = "ref.forbidden"      // outside the spec's folder, http from a file spec, other schemes
	CodeRefInvalid       = "ref.invalid"        // not a string, not a URI, or an unsupported fragment
	CodeRefSibling       = "ref.sibling-ignored"
	CodeRefRenamed       = "ref.internalized-renamed" // an external component got a qualified name to avoid a collision
	CodeRefTooManyFiles  = "ref.too-many-files"
	CodeRefCycle         = "ref.cycle"            // references that lead to one another and never to a value
	CodeRefTooDeep       = "ref.too-deep"         // a chain of references longer than the limit
	CodeMappingDangling  = "ref.mapping-dangling" // a discriminator mapping names a schema that does not exist
	CodeExtensionIgnored = "extension.untrusted"  // an x-go-* / x-oapi-codegen-* extension was removed
)
