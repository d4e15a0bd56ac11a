package sidecar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// LogFormat is the nginx log_format whose lines ParseRecord reads (escape=json keeps every
// value valid JSON whatever the client sends).
const LogFormat = `'{"status":$status,"method":"$request_method","duration":$request_time,"bytes":$bytes_sent}'`

// Record is one request as nginx logged it.
type Record struct {
	Status   int     `json:"status"`
	Method   string  `json:"method"`
	Duration float64 `json:"duration"`
	Bytes    float64 `json:"bytes"`
}

var errNoRecord = errors.New("no JSON record in the message")

// ParseRecord reads the JSON record out of a syslog message (RFC 3164, as nginx sends it:
// "<190>Dec  2 14:50:54 nginx: {...}").
func ParseRecord(msg []byte) (Record, error) {
	start := bytes.IndexByte(msg, '{')
	if start < 0 {
		return Record{}, errNoRecord
	}
	var r Record
	if err := json.Unmarshal(bytes.TrimRight(msg[start:], "\r\n"), &r); err != nil {
		return Record{}, fmt.Errorf("parsing %q: %w", msg[start:], err)
	}
	if r.Status < 100 || r.Status > 999 {
		return Record{}, fmt.Errorf("status %d out of range", r.Status)
	}
	return r, nil
}

// knownMethods bounds the method label: anything else a client sends counts as "other".
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true, "OPTIONS": true,
}

// MethodLabel is the method label of a record.
func (r Record) MethodLabel() string {
	if knownMethods[r.Method] {
		return r.Method
	}
	return "other"
}

// CodeClass is "2xx" for 200 and so on.
func (r Record) CodeClass() string {
	return fmt.Sprintf("%dxx", r.Status/100)
}
