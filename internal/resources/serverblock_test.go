package resources

import (
	"strings"
	"testing"
)

func TestCheckServerBlock(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		wantErr string
	}{
		{"empty", "", ""},
		{"locations", "location / {\n    return 200 'ok';\n}\nlocation /a { try_files $uri =404; }", ""},
		{"braces in quotes", `location / { return 200 "}{"; add_header X '}'; }`, ""},
		{"escaped quote", `location / { return 200 "a \" } b"; }`, ""},
		{"brace in a comment", "# } not a brace\nlocation / { }", ""},
		{"variable in braces", `location / { return 200 "${host}"; set $a ${uri}; }`, ""},
		{"closes the server block", "location / { return 200; }\n}\nserver { listen 9999; }", "line 2: this '}' has no matching '{'"},
		{"opens without closing", "location / {", "1 '{' never closed"},
		{"unclosed quote", `location / { return 200 "oops; }`, `a " quote is never closed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckServerBlock(tt.block)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
