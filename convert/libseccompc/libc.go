package libseccompc

import "math"

// The C library's constants that programs building a filter use in
// conditions (write only to STDOUT_FILENO; a size up to SSIZE_MAX), with
// their types on LP64 Linux, glibc and musl alike. Headers are not read,
// so they are known by name, like libseccomp's own macros.
var libcConstants = map[string]cVal{
	"STDIN_FILENO":  {0, cInt},
	"STDOUT_FILENO": {1, cInt},
	"STDERR_FILENO": {2, cInt},
	"EXIT_SUCCESS":  {0, cInt},
	"EXIT_FAILURE":  {1, cInt},
	"NULL":          {0, cLong},
	"true":          {1, cInt},
	"false":         {0, cInt},
	"CHAR_BIT":      {8, cInt},
	"SCHAR_MAX":     {math.MaxInt8, cInt},
	"UCHAR_MAX":     {math.MaxUint8, cInt},
	"SHRT_MAX":      {math.MaxInt16, cInt},
	"USHRT_MAX":     {math.MaxUint16, cInt},
	"INT_MAX":       {math.MaxInt32, cInt},
	"INT_MIN":       {norm(1<<64+math.MinInt32, cInt), cInt},
	"UINT_MAX":      {math.MaxUint32, cUint},
	"LONG_MAX":      {math.MaxInt64, cLong},
	"LONG_MIN":      {1 << 63, cLong},
	"ULONG_MAX":     {math.MaxUint64, cUlong},
	"LLONG_MAX":     {math.MaxInt64, cLong},
	"LLONG_MIN":     {1 << 63, cLong},
	"ULLONG_MAX":    {math.MaxUint64, cUlong},
	"SSIZE_MAX":     {math.MaxInt64, cLong},
	"SIZE_MAX":      {math.MaxUint64, cUlong},
	"INTPTR_MAX":    {math.MaxInt64, cLong},
	"UINTPTR_MAX":   {math.MaxUint64, cUlong},
	"INT32_MAX":     {math.MaxInt32, cInt},
	"UINT32_MAX":    {math.MaxUint32, cUint},
	"INT64_MAX":     {math.MaxInt64, cLong},
	"UINT64_MAX":    {math.MaxUint64, cUlong},
	"PATH_MAX":      {4096, cInt},
	"PIPE_BUF":      {4096, cInt},
}
