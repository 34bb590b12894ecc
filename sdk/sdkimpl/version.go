package sdkimpl

// EnforceVersion is used by generated code to assert at compile time that
// the sdk it links against can run it, the way protobuf's generated code
// uses protoimpl.EnforceVersion. Generated code declares
//
//	const (
//		_ = sdkimpl.EnforceVersion(N - sdkimpl.MinVersion)
//		_ = sdkimpl.EnforceVersion(sdkimpl.MaxVersion - N)
//	)
//
// where N is the version of the generator's output; with an sdk that is too
// old or too new for it one constant is negative and the build fails.
type EnforceVersion uint

// The range of generated-code versions this sdk supports. GenVersion is
// the version the matching generator emits. Version 2 added event streams,
// multipart forms and streamed bodies; version 3 moved every helper of
// generated code from package sdk to this package, so code of versions 1
// and 2, which calls them in sdk, no longer compiles.
const (
	MinVersion = 3
	MaxVersion = 3
	GenVersion = 3
)
