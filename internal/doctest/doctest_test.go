package doctest

import (
	"reflect"
	"strings"
	"testing"
)

const sample = "# Title\n\n```sh\nA=1\necho $A\n# → 1\n# → …\necho two\n```\n\n" +
	"  ```sh no-run\n  make test\n  ```\n\n```json\n{}\n```\n\n```bash\nexport USER=x\n```\n"

func TestBlocks(t *testing.T) {
	blocks, err := Blocks(sample)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range blocks {
		got = append(got, b.Lang+" "+strings.Join(b.Info, ",")+" "+strings.TrimSpace(b.Code))
	}
	want := []string{"sh  A=1\necho $A\n# → 1\n# → …\necho two", "sh no-run make test", "json  {}", "bash  export USER=x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("blocks:\n%q\nwant:\n%q", got, want)
	}
	runs := []bool{true, false, false, true}
	for i, b := range blocks {
		if b.Runs() != runs[i] {
			t.Errorf("block %d (line %d): Runs() = %v", i, b.Line, b.Runs())
		}
	}
	if blocks[0].Line != 3 || blocks[1].Line != 11 {
		t.Errorf("lines %d, %d; want 3, 11", blocks[0].Line, blocks[1].Line)
	}
	if _, err := Blocks("```sh\necho\n"); err == nil {
		t.Error("an unclosed block is no error")
	}
}

func TestSteps(t *testing.T) {
	blocks, _ := Blocks(sample)
	got := Steps(blocks[0])
	want := []Step{
		{Line: 4, Code: "A=1\necho $A\n", Want: "1\n…", HasWant: true},
		{Line: 8, Code: "echo two\n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("steps:\n%+v\nwant:\n%+v", got, want)
	}
}

func TestCheck(t *testing.T) {
	blocks, _ := Blocks(sample + "\n```sh norun\necho\n```\n\n```sh\n# → orphan\n```\n")
	got := strings.Join(Check(blocks), "\n")
	for _, want := range []string{"$USER", `unknown word "norun"`, "an expectation with no command"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if n := len(Check(blocks)); n != 3 {
		t.Errorf("%d problems, want 3:\n%s", n, got)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{`{"a":1}`, "{\"a\":1}\n", true},
		{`{"a":1}`, `{"a":12}`, false},
		{`{"id":"…","n":2}`, `{"id":"x.y*","n":2}`, true},
		{`{"id":"…","n":2}`, `{"id":"x","n":3}`, false},
		{"a\nb", "a  \nb\n\n", true},
		{"…", "anything\nat all", true},
		{"a…c", "a\nb\nc", true},
		{"a", "", false},
		{"(x)+", "(x)+", true},
		{"(x)+", "xx", false},
	} {
		if got := Match(c.want, c.got); got != c.ok {
			t.Errorf("Match(%q, %q) = %v", c.want, c.got, got)
		}
	}
}

func FuzzBlocks(f *testing.F) {
	f.Add(sample)
	f.Add("```sh\n# → x\n```")
	f.Fuzz(func(t *testing.T, doc string) {
		blocks, err := Blocks(doc)
		if err != nil {
			return
		}
		Check(blocks)
		for _, b := range blocks {
			for _, s := range Steps(b) {
				Match(s.Want, s.Code)
			}
		}
	})
}
