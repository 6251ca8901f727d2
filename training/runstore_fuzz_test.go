package training

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRunInfo: any bytes as run.json give a RunInfo or an error naming the file, never a
// panic; an accepted run.json has a known status and snapshots that stay inside the run
// directory, and writing it back and parsing again gives the same RunInfo.
func FuzzParseRunInfo(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "run_v1.json")); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"id":"run-0001-MLP_blobs_3","status":"finished","dataset":"blobs","model":"MLP","embed_dim":3,"snapshots":[{"index":0,"step":0,"epoch":0,"dir":"snapshots/000000"}],"final_eval_acc":0.5}`))
	f.Add([]byte(`{"status":"running","snapshots":[{"index":0,"dir":"../../etc"}]}`))
	f.Add([]byte(`{"status":"failed","class_names":["a\u001b[31m","</script>"],"error":"boom"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"status":"running","created":"not a time"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := parseInfo("run.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "run.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		switch info.Status {
		case StatusRunning, StatusFinished, StatusFailed:
		default:
			t.Fatalf("accepted status %q", info.Status)
		}
		for i, s := range info.Snapshots {
			clean := filepath.Clean(filepath.FromSlash(s.Dir))
			if s.Index != i || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
				t.Fatalf("accepted snapshot %d with index %d, dir %q", i, s.Index, s.Dir)
			}
		}
		out, err := json.Marshal(info)
		if err != nil {
			t.Fatalf("accepted run.json does not marshal: %v", err)
		}
		again, err := parseInfo("run.json", out)
		if err != nil {
			t.Fatalf("written run.json does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normalizeInfo(info), normalizeInfo(again)) {
			t.Fatalf("round trip changed the run:\n%+v\n%+v", info, again)
		}
		_ = info.DisplayID()
	})
}

// normalizeInfo makes two RunInfos comparable with DeepEqual: JSON turns empty and nil slices
// and maps into one another, and times lose their monotonic part.
func normalizeInfo(info *RunInfo) RunInfo {
	c := *info
	data, _ := json.Marshal(c.Options)
	c.Options = nil
	if len(c.ClassNames) == 0 {
		c.ClassNames = nil
	}
	if len(c.Snapshots) == 0 {
		c.Snapshots = nil
	}
	if len(c.Layers) == 0 {
		c.Layers = nil
	}
	c.Error += string(data)
	c.Created, c.Finished = c.Created.UTC(), c.Finished.UTC()
	return c
}

// FuzzParseMetrics: any bytes as metrics.jsonl give records or an error naming the file and a
// line, never a panic; accepted records written back with MarshalJSON parse to the same steps
// and values.
func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte("{\"step\":0,\"epoch\":0,\"lr\":0.001,\"eval_acc\":0.1}\n{\"step\":10,\"epoch\":0.5,\"train_loss\":1.5}\n"))
	f.Add([]byte("{\"step\":1}\n{\"step\": 2, \"eval_a"))
	f.Add([]byte("\n\n  \n{\"step\":3,\"note\":\"text\",\"ok\":true}\r\n"))
	f.Add([]byte("[1,2]\n"))
	f.Add([]byte("{\"step\":1e300}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseMetrics("metrics.jsonl", data)
		if err != nil {
			if !strings.Contains(err.Error(), "metrics.jsonl line ") {
				t.Fatalf("error does not name the file and line: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		for _, r := range recs {
			for _, v := range r.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("accepted a non-finite value: %+v", r)
				}
			}
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("record %+v does not marshal: %v", r, err)
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
		again, err := ParseMetrics("metrics.jsonl", buf.Bytes())
		if err != nil || len(again) != len(recs) {
			t.Fatalf("written records do not parse back: %v (%d of %d)", err, len(again), len(recs))
		}
		for i := range recs {
			if again[i].Step != recs[i].Step || !reflect.DeepEqual(again[i].Values, recs[i].Values) {
				t.Fatalf("record %d changed: %+v -> %+v", i, recs[i], again[i])
			}
		}
	})
}

// FuzzParseCurriculum: any text as a curriculum CSV parses or fails with an error, never a panic;
// an accepted curriculum has strictly increasing steps, evaluates at any step, and its recorded
// form (MarshalJSON) parses back to the same keyframes.
func FuzzParseCurriculum(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "colors_curriculum.csv")); err == nil {
		f.Add(string(data))
	}
	f.Add("STEP,PHASE,ACTION,lr,separation\n0,warmup,,0.01,0\n200,spread,anchor,,1\n600,,,0.001,\n")
	f.Add("# comment\nSTEP,PHASE,ACTION,lr\n0,,,1e-3\n")
	f.Add("STEP,PHASE,ACTION\n0,\"a,b\",x;y\n")
	f.Add("STEP,PHASE,ACTION,lr\n5,,,NaN\n")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := ParseCurriculum(strings.NewReader(src))
		if err != nil {
			return
		}
		for i := 1; i < len(c.Keyframes); i++ {
			if c.Keyframes[i].Step <= c.Keyframes[i-1].Step {
				t.Fatalf("accepted steps %d then %d", c.Keyframes[i-1].Step, c.Keyframes[i].Step)
			}
		}
		for _, step := range []int{0, 1, 100, 1 << 20} {
			c.Values(step)
			c.PhaseAt(step)
		}
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("accepted curriculum does not marshal: %v", err)
		}
		var again Curriculum
		if err := json.Unmarshal(data, &again); err != nil {
			t.Fatalf("recorded curriculum does not parse back: %v", err)
		}
		if !reflect.DeepEqual(again.Keyframes, c.Keyframes) || !reflect.DeepEqual(again.Properties, c.Properties) {
			t.Fatalf("round trip changed the keyframes:\n%+v\n%+v", c.Keyframes, again.Keyframes)
		}
	})
}
