// Package decoding is an SDK generated from decoding.yaml, a paged list of
// events whose models carry dates, times, enums, nullable fields and
// objects, a union, maps and lists. Its tests send it bodies with values
// that do not fit (a date-time where a date goes, a string where a number
// goes) and check that errors name them and that lenient decoding leaves
// only them zero.
package decoding

//go:generate go tool sdkgen generate --config sdkgen.yaml
