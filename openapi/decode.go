package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sdkgen-go/sdkgen/internal/parallel"
)

// decodeBundled decodes the bundled document's JSON into kin-openapi's
// model, as openapi3.Loader.LoadFromData does, in less time: kin-openapi's
// UnmarshalJSON of each level decodes its whole input twice (into its
// struct and again into a generic map, for extensions), and Paths
// re-encodes every path item, so the document's top levels cost several
// passes over all of it. Here the top level, the paths and the components
// are split once into raw values, and each path item and each component is
// decoded by kin-openapi's own UnmarshalJSON, on every CPU; references are
// resolved by the loader as LoadFromData would. The result is the same
// document (TestDecodeBundledMatchesKin).
func decodeBundled(data []byte) (*openapi3.T, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	pathsRaw, hasPaths := top["paths"]
	componentsRaw, hasComponents := top["components"]
	delete(top, "paths")
	delete(top, "components")
	rest, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	t := &openapi3.T{}
	if err := t.UnmarshalJSON(rest); err != nil {
		return nil, err
	}
	var jobs []func() error
	if hasPaths && string(pathsRaw) != "null" {
		paths, js, err := splitPaths(pathsRaw)
		if err != nil {
			return nil, fmt.Errorf("paths: %w", err)
		}
		t.Paths, jobs = paths, append(jobs, js...)
	}
	if hasComponents && string(componentsRaw) != "null" {
		c, js, err := splitComponents(componentsRaw)
		if err != nil {
			return nil, fmt.Errorf("components: %w", err)
		}
		t.Components, jobs = c, append(jobs, js...)
	}
	if err := runJobs(jobs); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	if err := loader.ResolveRefsIn(t, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// splitPaths makes the Paths of raw (as Paths.UnmarshalJSON does: x-
// keys are extensions) and the jobs that decode its items.
func splitPaths(raw json.RawMessage) (*openapi3.Paths, []func() error, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	paths := openapi3.NewPathsWithCapacity(len(m))
	paths.Extensions = map[string]any{}
	var jobs []func() error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if strings.HasPrefix(k, "x-") {
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				return nil, nil, err
			}
			paths.Extensions[k] = x
			continue
		}
		item := &openapi3.PathItem{}
		paths.Set(k, item)
		jobs = append(jobs, func() error {
			if err := item.UnmarshalJSON(v); err != nil {
				return fmt.Errorf("paths: %s: %w", k, err)
			}
			return nil
		})
	}
	return paths, jobs, nil
}

// splitComponents makes the Components of raw (as Components.UnmarshalJSON
// does: keys other than the nine sections are extensions) and the jobs that
// decode each component.
func splitComponents(raw json.RawMessage) (*openapi3.Components, []func() error, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	c := &openapi3.Components{}
	var jobs []func() error
	var err error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		switch k {
		case "schemas":
			c.Schemas, err = section[openapi3.Schemas](k, v, &jobs)
		case "parameters":
			c.Parameters, err = section[openapi3.ParametersMap](k, v, &jobs)
		case "headers":
			c.Headers, err = section[openapi3.Headers](k, v, &jobs)
		case "requestBodies":
			c.RequestBodies, err = section[openapi3.RequestBodies](k, v, &jobs)
		case "responses":
			c.Responses, err = section[openapi3.ResponseBodies](k, v, &jobs)
		case "securitySchemes":
			c.SecuritySchemes, err = section[openapi3.SecuritySchemes](k, v, &jobs)
		case "examples":
			c.Examples, err = section[openapi3.Examples](k, v, &jobs)
		case "links":
			c.Links, err = section[openapi3.Links](k, v, &jobs)
		case "callbacks":
			c.Callbacks, err = section[openapi3.Callbacks](k, v, &jobs)
		default:
			var x any
			err = json.Unmarshal(v, &x)
			if c.Extensions == nil {
				c.Extensions = map[string]any{}
			}
			c.Extensions[k] = x
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return c, jobs, nil
}

// section makes the map of one components section, its values allocated
// and decoded by the jobs it adds.
func section[M ~map[string]*V, V any, P interface {
	*V
	json.Unmarshaler
}](name string, raw json.RawMessage, jobs *[]func() error) (M, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make(M, len(m))
	for k, v := range m {
		val := new(V)
		out[k] = val
		*jobs = append(*jobs, func() error {
			if err := P(val).UnmarshalJSON(v); err != nil {
				return fmt.Errorf("components: %s: %s: %w", name, k, err)
			}
			return nil
		})
	}
	return out, nil
}

// runJobs runs jobs on every processor and returns their errors.
func runJobs(jobs []func() error) error {
	errs := make([]error, len(jobs))
	parallel.Each(len(jobs), func(i int) { errs[i] = jobs[i]() })
	return errors.Join(errs...)
}
