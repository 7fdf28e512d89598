"""Runs River's HalfSpaceTrees on every NAB file and writes one score per row for vexfs-nab.

Values are min-max scaled online (River's documented usage for HalfSpaceTrees); scores are written to
`<out>/<category>/<name>.scores`. Prints the total points per second on stdout.
"""
import json
import pathlib
import sys
import time

from river import anomaly, compose, preprocessing


def main(nab_dir, out_dir):
    nab = pathlib.Path(nab_dir)
    names = sorted(json.loads((nab / "labels" / "combined_windows.json").read_text()))
    rows, seconds = 0, 0.0
    for name in names:
        values = [float(line.split(",")[1]) for line in (nab / "data" / name).read_text().splitlines()[1:] if line]
        model = compose.Pipeline(preprocessing.MinMaxScaler(), anomaly.HalfSpaceTrees(seed=42))
        scores = []
        start = time.perf_counter()
        for v in values:
            x = {"value": v}
            scores.append(model.score_one(x))
            model.learn_one(x)
        seconds += time.perf_counter() - start
        rows += len(values)
        target = pathlib.Path(out_dir) / name.replace(".csv", ".scores")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{s}\n" for s in scores))
    print(round(rows / seconds))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
