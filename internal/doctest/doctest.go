// Package doctest runs the shell walk-throughs of the project's documents
// as tests. It reads the fenced code blocks of a Markdown document, keeps
// the shell blocks (sh, bash, shell) that are not marked `no-run`, and
// splits them into steps at the expectations they state: a comment line
// `# → text` after a command says what that command prints, with `…`
// standing for any text. The test (docs_test.go) runs a document's steps in
// order in one bash process and compares each step's output with its
// expectation. docs/testing.md describes the rules for writers.
package doctest

import (
	"fmt"
	"regexp"
	"strings"
)

// NoRun is the word of a fence's info string that keeps a shell block from
// running: ```sh no-run.
const NoRun = "no-run"

// Arrow starts an expectation line inside a runnable block.
const Arrow = "# → "

// Block is one fenced code block.
type Block struct {
	Line int    // of the opening fence, from 1
	Lang string // the info string's first word
	Info []string
	Code string // the lines between the fences, each ending in "\n"
}

// Shell reports whether the block is a shell block.
func (b Block) Shell() bool {
	switch b.Lang {
	case "sh", "bash", "shell":
		return true
	}
	return false
}

// Runs reports whether the block is run: a shell block not marked no-run.
func (b Block) Runs() bool {
	if !b.Shell() {
		return false
	}
	for _, w := range b.Info {
		if w == NoRun {
			return false
		}
	}
	return true
}

// Step is a piece of a runnable block: commands, and what they print when
// the block says so.
type Step struct {
	Line    int // in the document, of the step's first line
	Code    string
	Want    string // lines of the expectation, joined by "\n"
	HasWant bool
}

// Blocks returns the fenced code blocks of a Markdown document. A fence
// that is never closed is an error.
func Blocks(doc string) ([]Block, error) {
	var blocks []Block
	var cur *Block
	var fence string
	for i, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimRight(line, " \t\r")
		if indent := len(trimmed) - len(strings.TrimLeft(trimmed, " ")); indent <= 3 {
			// A fence may be indented by up to three spaces (CommonMark).
			trimmed = trimmed[indent:]
		}
		if cur == nil {
			if rest, ok := strings.CutPrefix(trimmed, "```"); ok && !strings.Contains(rest, "`") {
				fields := strings.Fields(rest)
				b := Block{Line: i + 1}
				if len(fields) > 0 {
					b.Lang, b.Info = fields[0], fields[1:]
				}
				blocks = append(blocks, b)
				cur, fence = &blocks[len(blocks)-1], "```"
			}
			continue
		}
		if trimmed == fence {
			cur = nil
			continue
		}
		cur.Code += line + "\n"
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the code block is never closed", cur.Line)
	}
	return blocks, nil
}

// Steps splits a runnable block into steps: each run of expectation lines
// closes the step before it.
func Steps(b Block) []Step {
	var steps []Step
	cur := Step{Line: b.Line + 1}
	lines := strings.SplitAfter(b.Code, "\n")
	for i, line := range lines {
		if line == "" {
			continue
		}
		want, isWant := strings.CutPrefix(strings.TrimLeft(line, " \t"), Arrow)
		if !isWant {
			if cur.HasWant {
				steps = append(steps, cur)
				cur = Step{Line: b.Line + 1 + i}
			}
			cur.Code += line
			continue
		}
		want = strings.TrimRight(want, " \t\r\n")
		if cur.HasWant {
			cur.Want += "\n" + want
		} else {
			cur.Want, cur.HasWant = want, true
		}
	}
	if strings.TrimSpace(cur.Code) != "" || cur.HasWant {
		steps = append(steps, cur)
	}
	return steps
}

// clobbered finds an assignment to a variable the reader's shell relies on.
var clobbered = regexp.MustCompile(`(?m)^\s*(?:export\s+|local\s+|readonly\s+)?(USER|HOME|PATH|PWD|OLDPWD|SHELL|LOGNAME|HOSTNAME|LANG|TERM|IFS|UID|EUID|PS1|CDPATH)=`)

// Check returns the problems of a document's blocks that running them
// would not show: an info string with words this package does not know,
// an expectation outside a runnable block, a runnable block that sets a
// variable the reader's shell relies on.
func Check(blocks []Block) []string {
	var problems []string
	for _, b := range blocks {
		for _, w := range b.Info {
			if w != NoRun {
				problems = append(problems, fmt.Sprintf("line %d: unknown word %q after the block's language (only %q)", b.Line, w, NoRun))
			}
		}
		if !b.Runs() {
			continue
		}
		for _, m := range clobbered.FindAllStringSubmatch(b.Code, -1) {
			problems = append(problems, fmt.Sprintf("line %d: the block sets $%s, which the reader's shell relies on: name the variable otherwise", b.Line, m[1]))
		}
		for _, s := range Steps(b) {
			if s.HasWant && strings.TrimSpace(s.Code) == "" {
				problems = append(problems, fmt.Sprintf("line %d: an expectation with no command before it", s.Line))
			}
		}
	}
	return problems
}

// Match reports whether a step's output matches its expectation: the same
// text once both are trimmed (and every line of both loses its trailing
// blanks), where each "…" of the expectation stands for any text, lines
// included.
func Match(want, got string) bool {
	want, got = tidy(want), tidy(got)
	var re strings.Builder
	re.WriteString(`^`)
	for i, part := range strings.Split(want, "…") {
		if i > 0 {
			re.WriteString(`(?s:.*?)`)
		}
		re.WriteString(regexp.QuoteMeta(part))
	}
	re.WriteString(`$`)
	ok, err := regexp.MatchString(re.String(), got)
	return err == nil && ok
}

func tidy(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}
