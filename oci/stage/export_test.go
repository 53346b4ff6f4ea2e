package stage

// For the tests of package stage_test.
var (
	Combine = combine
	ArchSet = archSet
)
