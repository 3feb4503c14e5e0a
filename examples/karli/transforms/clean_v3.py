#!/usr/bin/env python3
"""clean v3: the clean-v2 feature extraction as an external command, to show a transform in any language.

Command contract:
  clean_v3.py --input PATH [--input PATH ...] --output DIR [--params JSON]
Without the arguments it falls back to the environment: REFLOW_INPUTS (a JSON list of paths), REFLOW_OUTPUT_DIR,
REFLOW_PARAMS (JSON). It writes DIR/features.csv, prints a summary line per input on stdout (the run's log) and exits 0;
on bad input it prints the reason on stderr and exits 1 (2 for a bad command line), writing nothing.

The algorithm, the arithmetic order and the number formatting follow clean-v2.ts exactly, so for the same input and
parameters both give byte-identical features.csv. Standard library only.
"""
import argparse
import calendar
import csv
import json
import math
import os
import sys
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

REQUIRED = ["timestamp", "speed_kmh", "steering_angle_deg", "heart_rate_bpm", "eye_closure_ratio", "drowsy"]
OUTPUT_COLUMNS = [
    "window_start", "window_end", "rows", "mean_speed_kmh", "speed_std_kmh", "steering_std_deg",
    "steering_reversals_per_min", "mean_heart_rate_bpm", "perclos", "label",
]
SAMPLE_MS = 100
DEFAULTS = {"windowSeconds": 2, "hopSeconds": 1, "maxGapRows": 10, "reversalGapDeg": 1, "minCoverage": 0.75}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class BadInput(Exception):
    pass


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def read_params(params):
    if not isinstance(params, dict):
        raise BadInput("clean_v3: --params must be a JSON object")
    for name in params:
        if name not in DEFAULTS:
            raise BadInput('clean_v3: unknown parameter "%s" (known: %s)' % (name, ", ".join(DEFAULTS)))

    def value(name, ok, rule):
        v = params.get(name, DEFAULTS[name])
        if not is_number(v) or not ok(v):
            raise BadInput("clean_v3: parameter %s must be %s, got %s" % (name, rule, json.dumps(v)))
        return v

    # JS Math.round rounds halves up; int(x + 0.5) does the same for the positive values allowed here.
    window_ms = int(math.floor(value("windowSeconds", lambda v: v >= 0.2, "a number of seconds >= 0.2") * 1000 + 0.5))
    hop_ms = int(math.floor(value("hopSeconds", lambda v: v >= 0.1, "a number of seconds >= 0.1") * 1000 + 0.5))
    if hop_ms > window_ms:
        raise BadInput("clean_v3: parameter hopSeconds must not exceed windowSeconds")
    return {
        "window_ms": window_ms,
        "hop_ms": hop_ms,
        "max_gap_rows": value("maxGapRows", lambda v: float(v).is_integer() and v >= 0, "an integer >= 0"),
        "reversal_gap": value("reversalGapDeg", lambda v: v > 0, "a number > 0"),
        "min_coverage": value("minCoverage", lambda v: 0 < v <= 1, "a number in (0, 1]"),
    }


def num(cell):
    if cell is None or cell.strip() == "":
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return math.nan


def parse_time_ms(cell):
    if not cell:
        return math.nan
    text = cell.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"  # Python before 3.11 does not read "Z"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return math.nan
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def read_rows(path):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            records = [r for r in csv.reader(f) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise BadInput("clean_v3: cannot read %s: %s" % (path, e))
    if not records:
        raise BadInput("clean_v3: %s is empty (no header row)" % path)
    header = records[0]
    index = []
    for column in REQUIRED:
        if column not in header:
            raise BadInput('clean_v3: %s has no column "%s" (header: %s)' % (path, column, ",".join(header)))
        index.append(header.index(column))
    t, s, a, h, e, d = index
    rows, dropped = [], 0
    for cells in records[1:]:
        cell = lambda i: cells[i] if i < len(cells) else None
        row = {
            "time": parse_time_ms(cell(t)),
            "speed": num(cell(s)),
            "steering": num(cell(a)),
            "heart": num(cell(h)),
            "eye": num(cell(e)),
            "drowsy": num(cell(d)),
        }
        if all(math.isfinite(row[k]) for k in ("time", "speed", "steering", "eye", "drowsy")):
            rows.append(row)
        else:
            dropped += 1
    return rows, dropped


def fill_heart_gaps(rows, max_gap_rows):
    kept, interpolated, dropped, i = [], 0, 0, 0
    while i < len(rows):
        if math.isfinite(rows[i]["heart"]):
            kept.append(rows[i])
            i += 1
            continue
        j = i
        while j < len(rows) and not math.isfinite(rows[j]["heart"]):
            j += 1
        before = rows[i - 1] if i > 0 else None
        after = rows[j] if j < len(rows) else None
        if j - i <= max_gap_rows and before is not None and after is not None and after["time"] > before["time"]:
            for k in range(i, j):
                row = dict(rows[k])
                row["heart"] = before["heart"] + ((after["heart"] - before["heart"]) * (row["time"] - before["time"])) / (
                    after["time"] - before["time"]
                )
                kept.append(row)
            interpolated += j - i
        else:
            dropped += j - i
        i = j
    return kept, interpolated, dropped


def fixed(value, digits):
    """JavaScript's toFixed: the exact binary value rounded half away from zero, and no "-0.00"."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    return "{:.{}f}".format(q, digits)


def iso(ms):
    dt = EPOCH + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def reversals(w, gap):
    count, direction = 0, 0
    low = high = extreme = w[0]["steering"]
    for r in w[1:]:
        x = r["steering"]
        if direction == 0:
            low = min(low, x)
            high = max(high, x)
            if x - low >= gap:
                direction, extreme = 1, x
            elif high - x >= gap:
                direction, extreme = -1, x
        elif direction == 1:
            if x > extreme:
                extreme = x
            elif extreme - x >= gap:
                count, direction, extreme = count + 1, -1, x
        elif x < extreme:
            extreme = x
        elif x - extreme >= gap:
            count, direction, extreme = count + 1, 1, x
    return count


def feature_line(w, start, p):
    n = len(w)
    speed = steering = heart = eye = drowsy = 0.0
    for r in w:
        speed += r["speed"]
        steering += r["steering"]
        heart += r["heart"]
        eye += r["eye"]
        drowsy += r["drowsy"]
    speed_mean = speed / n
    steering_mean = steering / n
    speed_squares = steering_squares = 0.0
    for r in w:
        ds = r["speed"] - speed_mean
        da = r["steering"] - steering_mean
        speed_squares += ds * ds
        steering_squares += da * da
    return ",".join([
        iso(start),
        iso(start + p["window_ms"]),
        str(n),
        fixed(speed_mean, 2),
        fixed(math.sqrt(speed_squares / n), 3),
        fixed(math.sqrt(steering_squares / n), 3),
        fixed((reversals(w, p["reversal_gap"]) * 60000) / p["window_ms"], 1),
        fixed(heart / n, 2),
        fixed(eye / n, 4),
        "1" if 2 * drowsy >= n else "0",
    ])


def window_lines(segment, p, out):
    needed = math.ceil((p["min_coverage"] * p["window_ms"]) / SAMPLE_MS)
    last = segment[-1]["time"]
    lo = hi = 0
    start = segment[0]["time"]
    while start <= last:
        while segment[lo]["time"] < start:
            lo += 1
        nxt = segment[lo]["time"]
        if nxt >= start + p["window_ms"]:
            start += ((nxt - start) // p["hop_ms"]) * p["hop_ms"]
            continue
        hi = max(hi, lo)
        while hi < len(segment) and segment[hi]["time"] < start + p["window_ms"]:
            hi += 1
        if hi - lo >= needed:
            out.append(feature_line(segment[lo:hi], start, p))
        start += p["hop_ms"]


def run(inputs, output_dir, params):
    p = read_params(params)
    if not inputs:
        raise BadInput("clean_v3: no input files")
    lines = [",".join(OUTPUT_COLUMNS)]
    for path in inputs:
        rows, dropped_parse = read_rows(path)
        kept, interpolated, dropped_gaps = fill_heart_gaps(rows, p["max_gap_rows"])
        before = len(lines)
        start = 0
        for i in range(1, len(kept) + 1):
            if i == len(kept) or kept[i]["time"] <= kept[i - 1]["time"]:
                if i > start:
                    window_lines(kept[start:i], p, lines)
                start = i
        print("%s: %d rows, %d dropped, %d heart rates interpolated, %d windows"
              % (path, len(rows) + dropped_parse, dropped_parse + dropped_gaps, interpolated, len(lines) - before))
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "features.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    parser = argparse.ArgumentParser(description="clean v3: driver-monitoring feature windows (Python)")
    parser.add_argument("--input", action="append", default=None, help="input CSV (repeatable)")
    parser.add_argument("--output", default=None, help="output directory")
    parser.add_argument("--params", default=None, help="parameters as a JSON object")
    args = parser.parse_args(argv)
    try:
        inputs = args.input
        if inputs is None and os.environ.get("REFLOW_INPUTS"):
            inputs = json.loads(os.environ["REFLOW_INPUTS"])
            if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
                raise BadInput("clean_v3: REFLOW_INPUTS must be a JSON list of paths")
        output_dir = args.output or os.environ.get("REFLOW_OUTPUT_DIR")
        if not output_dir:
            parser.error("--output DIR (or REFLOW_OUTPUT_DIR) is required")
        params_text = args.params if args.params is not None else os.environ.get("REFLOW_PARAMS", "{}")
        try:
            params = json.loads(params_text)
        except ValueError as e:
            raise BadInput("clean_v3: --params is not valid JSON: %s" % e)
        run(inputs or [], output_dir, params)
    except BadInput as e:
        print(str(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
