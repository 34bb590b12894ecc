package githubgql

//go:generate go tool sdkgen generate --config sdkgen.yaml
