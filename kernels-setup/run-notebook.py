#!/usr/bin/python3
"""Executes a notebook headless, the way `jupyter nbconvert --to notebook --execute` does (the same
nbclient), but prints one readable line per cell instead of the kernel's log, which goes to a file.

    kernels-setup/run-notebook.py [--kernel gonb] [--timeout 1800] [--log FILE] IN.ipynb OUT.ipynb

Progress is plain lines (no carriage returns), so it reads the same on a terminal, in a CI log
or through `tee`: "cell 7/31  v.TrainingRecords().Show()  0.8 s", and every 30 s of a long cell
"... still running (1m30s)". On an error it prints the cell's error and the last lines of the
kernel log, saves what was executed so far to OUT.ipynb, and exits 1.
"""
import argparse
import os
import sys
import threading
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def fmt_duration(s):
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s} s"


def first_line(cell):
    in_import = False
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("import ("):
            in_import = True
            continue
        if in_import:
            in_import = line != ")"
            continue
        if line and line != "%%" and not line.startswith(("//", "import ")):
            return line if len(line) <= 60 else line[:57] + "..."
    return ""


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return f"(cannot read {path}: {e})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook")
    ap.add_argument("output")
    ap.add_argument("--kernel", default=None, help="kernel name (default: the notebook's)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--log", default=None, help="the kernel's log (default: OUTPUT with .kernel.log)")
    ap.add_argument("--prefix", default="[demo]", help="prefix of the progress lines")
    a = ap.parse_args()
    log_path = a.log or os.path.splitext(a.output)[0] + ".kernel.log"
    nb = nbformat.read(a.notebook, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    total = len(code)
    state = {"start": time.time(), "cell": None, "last": 0, "done": threading.Event()}

    def say(msg):
        print(f"{a.prefix} {msg}", flush=True)

    def on_cell_start(cell, cell_index, **kw):
        if cell.cell_type != "code":
            return
        state["cell"] = (code.index(cell_index) + 1, time.time())

    def on_cell_executed(cell, cell_index, **kw):
        if cell.cell_type != "code" or state["cell"] is None:
            return
        k, t0 = state["cell"]
        state["cell"], state["last"] = None, k
        say(f"  cell {k:2d}/{total}  {first_line(cell):<60}  {fmt_duration(time.time() - t0)}")

    def heartbeat():
        while not state["done"].wait(30):
            c = state["cell"]
            if c and time.time() - c[1] >= 30:
                say(f"  cell {c[0]:2d}/{total}  ... still running ({fmt_duration(time.time() - c[1])})")

    kw = {"timeout": a.timeout, "resources": {"metadata": {"path": os.path.dirname(os.path.abspath(a.notebook))}},
          "on_cell_start": on_cell_start, "on_cell_executed": on_cell_executed}
    if a.kernel:
        kw["kernel_name"] = a.kernel
    client = NotebookClient(nb, **kw)
    threading.Thread(target=heartbeat, daemon=True).start()
    ok = True
    with open(log_path, "w") as log:
        try:
            # The kernel's stdout and stderr (GoNB's log) go to the log file, not the terminal.
            client.execute(stdout=log, stderr=log)
        except CellExecutionError as e:
            ok = False
            say(f"FAILED in cell {state['cell'][0] if state['cell'] else state['last']}/{total}:")
            print(str(e)[-3000:], file=sys.stderr)
        except Exception as e:  # kernel died, timeout, ...
            ok = False
            say(f"FAILED: {type(e).__name__}: {e}")
    state["done"].set()
    nbformat.write(nb, a.output)
    if not ok:
        print(f"---- last lines of the kernel log ({log_path}) ----", file=sys.stderr)
        print(tail(log_path), file=sys.stderr)
        sys.exit(1)
    say(f"  all {total} cells ran in {fmt_duration(time.time() - state['start'])} (kernel log: {log_path})")


if __name__ == "__main__":
    main()
