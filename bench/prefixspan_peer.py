"""Mines the same pattern sets as vexfs-seqbench with PyPI `prefixspan` and compares them.

Reads the Rust harness's JSON lines (parameters and timings) on stdin, writes `<SET>.python.txt`
next to `<SET>.rust.txt` and prints one JSON line per set with both run times and the parity verdict.
"""
import json
import pathlib
import sys
import time

from prefixspan import PrefixSpan


def load(path):
    with open(path) as f:
        return [[int(t) for t in line.split()] for line in f if line.strip()]


def main(data_dir, out_dir):
    ok = True
    for line in sys.stdin:
        rust = json.loads(line)
        name = rust["set"]
        db = load(pathlib.Path(data_dir) / f"{name}.txt")
        ps = PrefixSpan(db)
        ps.minlen, ps.maxlen = 1, rust["maxLen"]
        start = time.perf_counter()
        patterns = ps.frequent(rust["minSupport"])
        seconds = time.perf_counter() - start
        lines = sorted(f"{sup}\t{' '.join(map(str, patt))}" for sup, patt in patterns)
        py_path = pathlib.Path(out_dir) / f"{name}.python.txt"
        py_path.write_text("".join(l + "\n" for l in lines))
        same = py_path.read_text() == (pathlib.Path(out_dir) / f"{name}.rust.txt").read_text()
        ok &= same
        print(json.dumps({"set": name, "minSupport": rust["minSupport"], "maxLen": rust["maxLen"],
                          "patterns": len(lines), "identical": same,
                          "rustSeconds": rust["mineSeconds"], "pythonSeconds": round(seconds, 3)}), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
