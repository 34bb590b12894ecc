// Command discovery2openapi converts a Google API Discovery document into
// the OpenAPI 3.0 document sdkgen generates from (see package
// internal/discovery).
//
//	discovery2openapi -in firestore-v1.discovery.json -resource projects.databases.documents \
//		-array firestore.projects.databases.documents.runQuery -out firestore-v1.openapi.json
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/sdkgen-go/sdkgen/internal/discovery"
)

func main() {
	in := flag.String("in", "", "the Discovery document (JSON)")
	out := flag.String("out", "", "the OpenAPI document to write")
	resource := flag.String("resource", "", "the dotted resource to convert (default: all)")
	array := flag.String("array", "", "comma-separated method ids whose REST answer is a JSON array")
	tag := flag.String("tag", "", "the tag of every operation (default: the resource's last name)")
	methods := flag.String("methods", "", "comma-separated method ids to keep (default: all of the resource)")
	var segments segmentFlag
	flag.Var(&segments, "segments", "name=template: spell the reserved parameter name out as path segments (repeatable)")
	flag.Parse()
	if *in == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	src, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "discovery2openapi:", err)
		os.Exit(1)
	}
	o := discovery.Options{Resource: *resource, Tag: *tag}
	if *array != "" {
		o.ArrayResponses = strings.Split(*array, ",")
	}
	if *methods != "" {
		o.Methods = strings.Split(*methods, ",")
	}
	o.Segments = segments
	b, err := discovery.Convert(src, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "discovery2openapi:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "discovery2openapi:", err)
		os.Exit(1)
	}
}

// segmentFlag collects -segments name=template values.
type segmentFlag map[string]string

func (f *segmentFlag) String() string { return fmt.Sprint(map[string]string(*f)) }

func (f *segmentFlag) Set(v string) error {
	name, tmpl, ok := strings.Cut(v, "=")
	if !ok || name == "" || tmpl == "" {
		return fmt.Errorf("want name=template, got %q", v)
	}
	if *f == nil {
		*f = segmentFlag{}
	}
	(*f)[name] = tmpl
	return nil
}
