package training_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/embviz/embviz/training"
)

const scaleCSV = `# a comment that survives scaling
STEP,PHASE,ACTION,lr,separation
0,warmup,,0.01,0
200,spread,anchor;mark,,1
600,,,0.001,
`

func TestScaleCurriculum(t *testing.T) {
	c, err := training.ParseCurriculum(strings.NewReader(scaleCSV))
	if err != nil {
		t.Fatal(err)
	}
	s, err := training.ScaleCurriculum(c, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, kf := range s.Keyframes {
		steps = append(steps, kf.Step)
	}
	if want := []int{0, 50, 150}; !reflect.DeepEqual(steps, want) {
		t.Fatalf("scaled steps %v, want %v", steps, want)
	}
	if s.LastStep() != 150 || c.LastStep() != 600 {
		t.Errorf("LastStep: scaled %d, original %d", s.LastStep(), c.LastStep())
	}
	// Values are unchanged, interpolation follows the scaled steps.
	if v, _ := s.Value("separation", 50); v != 1 {
		t.Errorf("separation at scaled keyframe = %v, want 1", v)
	}
	v1, _ := c.Value("lr", 400)
	v2, _ := s.Value("lr", 100)
	if v1 != v2 {
		t.Errorf("lr halfway: original %v, scaled %v", v1, v2)
	}
	// The source is a CSV that parses back to the same curriculum and keeps the leading comment.
	if !strings.HasPrefix(s.Source(), "# a comment that survives scaling\n# steps scaled by 0.25\n") {
		t.Errorf("source does not keep the comments:\n%s", s.Source())
	}
	back, err := training.ParseCurriculum(strings.NewReader(s.Source()))
	if err != nil {
		t.Fatalf("scaled source does not parse: %v\n%s", err, s.Source())
	}
	if !reflect.DeepEqual(back.Keyframes, s.Keyframes) || !reflect.DeepEqual(back.Properties, s.Properties) {
		t.Errorf("scaled source parses to %+v, want %+v", back.Keyframes, s.Keyframes)
	}
	if !reflect.DeepEqual(s.Keyframes[1].Actions, []string{"anchor", "mark"}) {
		t.Errorf("actions %v", s.Keyframes[1].Actions)
	}
	// The original is untouched.
	if c.Keyframes[1].Step != 200 {
		t.Errorf("original modified: %+v", c.Keyframes[1])
	}

	if _, err := training.ScaleCurriculum(c, 0.001); err == nil || !strings.Contains(err.Error(), "both land on step 0") {
		t.Errorf("collision: got %v", err)
	}
	for _, f := range []float64{0, -1} {
		if _, err := training.ScaleCurriculum(c, f); err == nil {
			t.Errorf("factor %v accepted", f)
		}
	}
	if _, err := training.ScaleCurriculum(nil, 1); err == nil {
		t.Error("nil curriculum accepted")
	}
}

func TestCurriculumPhases(t *testing.T) {
	c, err := training.ParseCurriculum(strings.NewReader(scaleCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := []training.CurriculumPhase{{Name: "warmup", Start: 0, End: 200}, {Name: "spread", Start: 200, End: 600}}
	if got := c.Phases(600); !reflect.DeepEqual(got, want) {
		t.Errorf("Phases(600) = %+v, want %+v", got, want)
	}
	if got := c.Phases(100); !reflect.DeepEqual(got, []training.CurriculumPhase{{Name: "warmup", Start: 0, End: 100}}) {
		t.Errorf("Phases(100) = %+v", got)
	}
	var nilCur *training.Curriculum
	if nilCur.Phases(10) != nil || nilCur.LastStep() != 0 {
		t.Error("nil curriculum has phases")
	}
}

func TestQuickScale(t *testing.T) {
	t.Setenv(training.QuickEnv, "1")
	if got := training.QuickScale(0.25); got != 0.25 {
		t.Errorf("quick: %v", got)
	}
	t.Setenv(training.QuickEnv, "")
	if got := training.QuickScale(0.25); got != 1 {
		t.Errorf("not quick: %v", got)
	}
}

// The notebook's curriculum loads, scales to quick mode, and its phases are the documented ones.
func TestNotebookColorCurriculum(t *testing.T) {
	c, err := training.LoadCurriculum("../notebooks/data/color_curriculum.csv")
	if err != nil {
		t.Fatal(err)
	}
	q, err := training.ScaleCurriculum(c, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range q.Phases(q.LastStep()) {
		names = append(names, p.Name)
	}
	if want := []string{"fit-easy", "fit-all", "anchor", "flatten", "settle"}; !reflect.DeepEqual(names, want) {
		t.Errorf("phases %v, want %v", names, want)
	}
	if c.LastStep() != 2400 || q.LastStep() != 600 {
		t.Errorf("last steps %d, %d", c.LastStep(), q.LastStep())
	}
}
