package resources

import "fmt"

// CheckServerBlock reports whether a user's server block stays inside the server {} the
// operator renders around it: braces must balance the way nginx reads them (quotes,
// backslash escapes, # comments and ${variable} taken into account), so a stray '}' can
// never close the server block and put the rest of the text at http {} level.
func CheckServerBlock(block string) error {
	depth, line := 0, 1
	var quote byte
	for i := 0; i < len(block); i++ {
		c := block[i]
		if c == '\n' {
			line++
		}
		switch {
		case quote != 0 && c == '\\':
			i++
			if i < len(block) && block[i] == '\n' {
				line++
			}
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\\':
			i++
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			for i+1 < len(block) && block[i+1] != '\n' {
				i++
			}
		case c == '$' && i+1 < len(block) && block[i+1] == '{':
			for i < len(block) && block[i] != '}' {
				i++
			}
		case c == '{':
			depth++
		case c == '}':
			if depth == 0 {
				return fmt.Errorf("line %d: this '}' has no matching '{' and would close the server {} block", line)
			}
			depth--
		}
	}
	switch {
	case quote != 0:
		return fmt.Errorf("a %c quote is never closed", quote)
	case depth > 0:
		return fmt.Errorf("%d '{' never closed", depth)
	}
	return nil
}
