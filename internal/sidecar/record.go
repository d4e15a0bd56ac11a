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

var errNoRecord = errors.New("no JSON record in the line")

// ParseRecord reads the JSON record of one line of nginx's request log.
func ParseRecord(line []byte) (Record, error) {
	start := bytes.IndexByte(line, '{')
	if start < 0 {
		return Record{}, errNoRecord
	}
	record := bytes.TrimRight(line[start:], "\r\n")
	r, ok := parseLogFormat(record)
	if !ok {
		var err error
		if r, err = parseJSON(record); err != nil {
			return Record{}, err
		}
	}
	if r.Status < 100 || r.Status > 999 {
		return Record{}, fmt.Errorf("status %d out of range", r.Status)
	}
	return r, nil
}

// methods bounds the method label: anything else a client sends counts as "other".
var methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}

// MethodLabel is the method label of a record.
func (r Record) MethodLabel() string {
	for _, m := range methods {
		if r.Method == m {
			return m
		}
	}
	return "other"
}

// CodeClass is "2xx" for 200 and so on.
func (r Record) CodeClass() string {
	if r.Status >= 100 && r.Status <= 999 {
		return codeClasses[r.Status/100]
	}
	return fmt.Sprintf("%dxx", r.Status/100)
}

var codeClasses = [10]string{"0xx", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "7xx", "8xx", "9xx"}

// parseJSON is the slow path, for a method with escaped characters.
func parseJSON(record []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(record, &r); err != nil {
		return Record{}, fmt.Errorf("parsing %q: %w", record, err)
	}
	return r, nil
}

// The fields of LogFormat in the order nginx writes them.
var (
	statusField   = []byte(`{"status":`)
	methodField   = []byte(`,"method":"`)
	durationField = []byte(`","duration":`)
	bytesField    = []byte(`,"bytes":`)
)

// parseLogFormat reads a record exactly as LogFormat writes it, without reflection or
// allocation (the metrics container does this for every request); ok is false for anything
// else, a method holding an escaped character included.
func parseLogFormat(b []byte) (r Record, ok bool) {
	var field []byte
	if b, ok = bytes.CutPrefix(b, statusField); !ok {
		return r, false
	}
	if field, b, ok = bytes.Cut(b, methodField); !ok {
		return r, false
	}
	status, ok := parseUint(field)
	if !ok {
		return r, false
	}
	if field, b, ok = bytes.Cut(b, durationField); !ok || !plainJSONString(field) {
		return r, false
	}
	r.Method = methodLabel(field)
	if field, b, ok = bytes.Cut(b, bytesField); !ok {
		return r, false
	}
	if r.Duration, ok = parseSeconds(field); !ok {
		return r, false
	}
	if field, ok = bytes.CutSuffix(b, []byte("}")); !ok {
		return r, false
	}
	sent, ok := parseUint(field)
	if !ok {
		return r, false
	}
	r.Status, r.Bytes = status, float64(sent)
	return r, true
}

// plainJSONString is true when b is a JSON string's content with nothing to unescape.
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// parseUint reads a JSON number of up to 18 digits without sign, fraction or leading zero.
func parseUint(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 || (len(b) > 1 && b[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseSeconds reads $request_time: seconds with three decimals ("0.004").
func parseSeconds(b []byte) (float64, bool) {
	whole, fraction, ok := bytes.Cut(b, []byte("."))
	if !ok || len(fraction) != 3 {
		return 0, false
	}
	s, ok := parseUint(whole)
	if !ok || s > 1<<40 {
		return 0, false
	}
	ms := 0
	for _, c := range fraction {
		if c < '0' || c > '9' {
			return 0, false
		}
		ms = ms*10 + int(c-'0')
	}
	// One correctly rounded division, as strconv.ParseFloat would give.
	return float64(s*1000+ms) / 1000, true
}

// methodLabel returns a known method as a constant string, so reading it allocates nothing.
func methodLabel(method []byte) string {
	for _, m := range methods {
		if string(method) == m {
			return m
		}
	}
	return string(method)
}
