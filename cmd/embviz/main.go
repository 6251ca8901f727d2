// Command embviz trains runs, lists them, computes reductions and metrics, writes reports and runs
// benchmarks. Each subcommand lives in its own file and registers itself with register.
//
//	embviz runs    [-runs DIR]                       list the runs in DIR
//	embviz <cmd> -h                                  flags of one subcommand
//
// The runs directory defaults to $EMBVIZ_RUNS, else ./runs. With $EMBVIZ_CPUPROFILE set to a file
// name, any command writes a CPU profile there (go tool pprof).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
)

// command is one subcommand. Names may have two words ("bench train").
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

// register adds a subcommand; called from init functions of the files in this package.
func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("embviz: command registered twice: " + name)
	}
	commands[name] = &command{name: name, summary: summary, run: run}
}

// errUsage marks errors caused by bad command-line usage (exit status 2).
var errUsage = errors.New("usage")

func main() {
	stop, err := startCPUProfile(os.Getenv("EMBVIZ_CPUPROFILE"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "embviz: EMBVIZ_CPUPROFILE: %v\n", err)
		os.Exit(2)
	}
	code := runMain(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// startCPUProfile starts a CPU profile written to path (none when path is empty) and returns the
// function that stops it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// runMain dispatches to a subcommand and returns the process exit status.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	rest := args[1:]
	if len(args) >= 2 {
		cmd = commands[args[0]+" "+args[1]]
		if cmd != nil {
			rest = args[2:]
		}
	}
	if cmd == nil {
		cmd = commands[args[0]]
	}
	if cmd == nil {
		if sub := subcommands(args[0]); len(sub) > 0 { // a group such as "bench": list its commands
			fmt.Fprintf(stderr, "embviz %s needs a subcommand:\n", args[0])
			for _, c := range sub {
				fmt.Fprintf(stderr, "  %-14s %s\n", c.name, c.summary)
			}
			fmt.Fprintf(stderr, "(embviz %s -h for its flags)\n", sub[0].name)
			if len(args) == 2 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
				return 0
			}
			return 2
		}
		fmt.Fprintf(stderr, "embviz: unknown command %q\n\n", termSafe(strings.Join(args[:min(2, len(args))], " ")))
		usage(stderr)
		return 2
	}
	if err := cmd.run(rest, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "embviz %s: %s\n", cmd.name, termSafeText(err.Error()))
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

// subcommands returns the two-word commands whose first word is group ("bench"), sorted.
func subcommands(group string) []*command {
	var out []*command
	for name, c := range commands {
		if first, _, ok := strings.Cut(name, " "); ok && first == group {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "embviz: see how a network's embeddings evolve while it trains.")
	fmt.Fprintln(w, "\nUsage: embviz <command> [flags]   (embviz <command> -h for its flags)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
}

// newFlags returns a FlagSet for a subcommand that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("embviz "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, wrapping failures as usage errors and rejecting stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return nil
}

// defaultRunsDir is $EMBVIZ_RUNS, else ./runs.
func defaultRunsDir() string {
	if d := os.Getenv("EMBVIZ_RUNS"); d != "" {
		return d
	}
	return "runs"
}
