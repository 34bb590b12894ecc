package generator

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	yaml "go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
	"golang.org/x/text/message"

	"github.com/sdkgen-go/sdkgen/internal/suggest"
	"github.com/sdkgen-go/sdkgen/openapi"
)

// ConfigSchema is the JSON Schema of sdkgen.yaml. The config file is
// validated against it, so it is the one definition of what the file may
// hold.
//
//go:embed schema/sdkgen.schema.json
var ConfigSchema []byte

var configSchema = func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ConfigSchema))
	if err != nil {
		panic(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sdkgen.schema.json", doc); err != nil {
		panic(err)
	}
	return c.MustCompile("sdkgen.schema.json")
}()

// maxConfigSize caps sdkgen.yaml; a config file is a few hundred bytes.
const maxConfigSize = 1 << 20

// LoadConfig reads and validates an sdkgen.yaml file. Unknown keys, values
// of the wrong type and the like are errors located at file:line:col.
// Relative paths in the file (spec, output) are made relative to the
// current directory, as if they had been given as flags.
func LoadConfig(path string) (Config, openapi.Diagnostics) {
	fh, err := os.Open(path)
	if err != nil {
		return Config{}, openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: fmt.Sprintf("cannot read config: %v", err), Pos: openapi.Position{File: path}}}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err == nil && len(data) > maxConfigSize {
		err = errors.New("larger than 1 MiB")
	}
	if err != nil {
		return Config{}, openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: fmt.Sprintf("cannot read config: %v", err), Pos: openapi.Position{File: path}}}
	}
	cfg, diags := ParseConfig(path, data)
	if diags.HasErrors() {
		return cfg, diags
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || p == "-" || filepath.IsAbs(p) || strings.Contains(p, "://") {
			return p
		}
		return filepath.Join(dir, p)
	}
	cfg.Spec, cfg.Output = rel(cfg.Spec), rel(cfg.Output)
	return cfg, diags
}

// ParseConfig parses the content of an sdkgen.yaml file; name is used in
// positions. Paths are returned as written.
func ParseConfig(name string, data []byte) (Config, openapi.Diagnostics) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 0
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, text, ok := strings.Cut(rest, ": "); ok {
				line, _ = strconv.Atoi(n)
				msg = text
			}
		}
		return Config{}, openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: "invalid YAML: " + msg, Pos: openapi.Position{File: name, Line: line}}}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return Config{}, nil // an empty file is an empty config
	}
	doc := root.Content[0]
	inst, err := yamlToJSONValue(doc, 0)
	if err != nil {
		return Config{}, openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: err.Error(), Pos: openapi.Position{File: name, Line: doc.Line, Column: doc.Column}}}
	}
	if err := configSchema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return Config{}, openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError, Message: err.Error(), Pos: openapi.Position{File: name}}}
		}
		var diags openapi.Diagnostics
		for _, leaf := range leaves(ve) {
			diags = append(diags, configDiagnostic(name, doc, leaf)...)
		}
		diags.Sort()
		return Config{}, diags
	}
	var cfg Config
	if err := doc.Decode(&cfg); err != nil {
		return Config{}, openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError,
			Message: err.Error(), Pos: openapi.Position{File: name, Line: doc.Line, Column: doc.Column}}}
	}
	return cfg, nil
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

var msgPrinter = message.NewPrinter(message.MatchLanguage("en"))

func configDiagnostic(name string, doc *yaml.Node, e *jsonschema.ValidationError) openapi.Diagnostics {
	at := func(loc []string, keyOf bool) openapi.Position {
		n := yamlAt(doc, loc, keyOf)
		return openapi.Position{File: name, Line: n.Line, Column: n.Column}
	}
	ptr := pointer(e.InstanceLocation)
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		var out openapi.Diagnostics
		for _, p := range ap.Properties {
			loc := append(slices.Clone(e.InstanceLocation), p)
			out = append(out, openapi.Diagnostic{Code: CodeConfigUnknownKey, Severity: openapi.SeverityError,
				Pointer: pointer(loc), Pos: at(loc, true),
				Message: fmt.Sprintf("unknown key %q%s", p, where(e.InstanceLocation)),
				Fix:     knownKeys(e.InstanceLocation, p)})
		}
		return out
	}
	return openapi.Diagnostics{{Code: CodeConfigInvalid, Severity: openapi.SeverityError, Pointer: ptr,
		Pos:     at(e.InstanceLocation, false),
		Message: strings.TrimSpace(e.ErrorKind.LocalizedString(msgPrinter)) + where(e.InstanceLocation)}}
}

func where(loc []string) string {
	if len(loc) == 0 {
		return ""
	}
	return " in " + strings.Join(loc, ".")
}

// knownKeys suggests the key meant, or lists the keys the schema allows at
// loc.
func knownKeys(loc []string, unknown string) string {
	var schema map[string]any
	_ = json.Unmarshal(ConfigSchema, &schema)
	cur := schema
	for _, seg := range loc {
		props, _ := cur["properties"].(map[string]any)
		next, _ := props[seg].(map[string]any)
		if next == nil {
			// A map keyed by the user (operations: {<id>: ...}).
			next, _ = cur["additionalProperties"].(map[string]any)
		}
		if ref, ok := next["$ref"].(string); ok {
			defs, _ := schema["$defs"].(map[string]any)
			next, _ = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if next == nil {
			return ""
		}
		cur = next
	}
	props, _ := cur["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if s := suggest.Closest(unknown, keys); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "known keys here: " + strings.Join(keys, ", ")
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, s := range loc {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// yamlAt finds the node at loc; with keyOf, the key node of the last
// segment (where a reader looks for an unknown key).
func yamlAt(n *yaml.Node, loc []string, keyOf bool) *yaml.Node {
	cur := n
	for i, seg := range loc {
		switch cur.Kind {
		case yaml.MappingNode:
			found := false
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if cur.Content[j].Value == seg {
					if keyOf && i == len(loc)-1 {
						return cur.Content[j]
					}
					cur, found = cur.Content[j+1], true
					break
				}
			}
			if !found {
				return cur
			}
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(cur.Content) {
				return cur
			}
			cur = cur.Content[idx]
		default:
			return cur
		}
	}
	return cur
}

// yamlToJSONValue converts a YAML node into the values the JSON Schema
// validator takes.
func yamlToJSONValue(n *yaml.Node, depth int) (any, error) {
	if depth > 64 {
		return nil, errors.New("config nested too deeply")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlToJSONValue(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlToJSONValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlToJSONValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case int:
			return json.Number(strconv.Itoa(x)), nil
		case int64:
			return json.Number(strconv.FormatInt(x, 10)), nil
		case uint64:
			return json.Number(strconv.FormatUint(x, 10)), nil
		case float64:
			return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
		case string, bool, nil:
			return x, nil
		default:
			return fmt.Sprint(x), nil
		}
	}
	return nil, nil
}

// ImportPathOf returns the Go import path of folder dir, from the go.mod
// of the module it is in (the nearest one above it).
func ImportPathOf(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := modfile.ModulePath(data)
			if mod == "" {
				return "", fmt.Errorf("%s has no module line", filepath.Join(d, "go.mod"))
			}
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", err
			}
			if rel == "." {
				return mod, nil
			}
			return mod + "/" + filepath.ToSlash(rel), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above", abs)
		}
	}
}
