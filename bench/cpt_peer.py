"""Next-item prediction with PyPI `cpt` (Compact Prediction Tree) on the split vexfs-seqbench uses.

Train on sequences whose index is not a multiple of 5; for the others (length >= 2) predict the last
item from the rest. Reads the Rust harness's JSON lines on stdin and prints both results per set.
"""
import json
import pathlib
import sys
import time

from cpt.cpt import Cpt


def load(path):
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


def main(data_dir):
    for line in sys.stdin:
        rust = json.loads(line)
        name = rust["set"]
        db = load(pathlib.Path(data_dir) / f"{name}.txt")
        train = [s for i, s in enumerate(db) if i % 5 != 0]
        tests = [s for i, s in enumerate(db) if i % 5 == 0 and len(s) >= 2]
        model = Cpt()
        model.fit(train)
        start = time.perf_counter()
        predicted = model.predict([s[:-1] for s in tests], multithreading=False)
        seconds = time.perf_counter() - start
        hits = sum(p == s[-1] for p, s in zip(predicted, tests))
        print(json.dumps({"set": name, "testSequences": len(tests),
                          "rustTop1": rust["top1"], "rustPredictionsPerSec": rust["predictionsPerSec"],
                          "cptTop1": round(hits / len(tests), 4),
                          "cptPredictionsPerSec": round(len(tests) / seconds)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
