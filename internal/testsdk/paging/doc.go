// Package paging is an SDK generated from paging.yaml: one list operation
// per way real APIs page, none of them declared; its tests page through
// each against a server that pages.
package paging

//go:generate go tool sdkgen generate --config sdkgen.yaml
