package catalog

//go:generate go tool sdkgen generate --config sdkgen.yaml
