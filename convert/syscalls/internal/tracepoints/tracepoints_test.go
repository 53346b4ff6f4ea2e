package tracepoints

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, format string
		want         Args
		err          bool
	}{
		{"none", "format:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: \"\"\n", Args{}, false},
		{"pread64", "format:\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n" +
			"\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n\tfield:char * buf;\toffset:24;\tsize:8;\tsigned:0;\n" +
			"\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;\n\tfield:loff_t pos;\toffset:40;\tsize:8;\tsigned:0;\n", Args{N: 4, Wide: 1}, false},
		// A pointer to a 64-bit value is one register everywhere.
		{"pointer", "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\tfield:loff_t * off;\toffset:16;\tsize:8;\tsigned:0;\n\tfield:const u64 x;\toffset:24;\tsize:8;\tsigned:0;\n", Args{N: 2, Wide: 1}, false},
		{"not a tracepoint", "hello\n", Args{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse([]byte(tc.format))
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("parse = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}
