"""The validator itself: accepts the verified example, rejects every mutation of it."""
import copy
import gzip
import json
import os
import subprocess
import sys

import pytest

import profile_validator as pv

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "data", "good-v70-tracing.json")


@pytest.fixture
def good():
    return pv.load_profile(GOOD)


def test_good_example_is_valid(good):
    assert pv.validate(good) == []


def test_good_example_gz_loads_and_validates(tmp_path, good):
    gz = tmp_path / "p.json.gz"
    gz.write_bytes(gzip.compress(json.dumps(good).encode()))
    assert pv.validate(pv.load_profile(str(gz))) == []


def test_time_deltas_form_is_accepted(good):
    for t in good["threads"]:
        times = t["samples"].pop("time")
        t["samples"]["timeDeltas"] = [times[0]] + [b - a for a, b in zip(times, times[1:])]
    assert pv.validate(good) == []


# Each mutation: (id, function mutating the profile in place, substring expected in a problem).
def _set(path, value):
    def mut(p):
        obj = p
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
    return mut


def _delete(path):
    def mut(p):
        obj = p
        for k in path[:-1]:
            obj = obj[k]
        del obj[path[-1]]
    return mut


def _unsort(p):
    s = p["threads"][0]["samples"]
    s["time"][2], s["time"][3] = s["time"][3], s["time"][2]


def _unsort_keep_weights_consistent(p):
    # Times out of order, weights recomputed as gaps: only the sort check can catch it.
    s = p["threads"][0]["samples"]
    s["time"][2], s["time"][3] = s["time"][3], s["time"][2]
    t = s["time"]
    s["weight"] = [b - a for a, b in zip(t, t[1:])] + [0]


def _short_column(p):
    p["shared"]["frameTable"]["line"].pop()


def _add_marker(data, phase=0, start=1.0, end=None, category=0, name=7):
    def mut(p):
        m = p["threads"][0]["markers"]
        m["name"].append(name)
        m["startTime"].append(start)
        m["endTime"].append(end)
        m["phase"].append(phase)
        m["category"].append(category)
        m["data"].append(data)
        m["length"] += 1
    return mut


def _no_grey(p):
    p["meta"]["categories"][0]["color"] = "purple"


def _counter(display=True):
    def mut(p):
        c = {"name": "Memory", "category": "Memory", "description": "allocations",
             "pid": "4242", "mainThreadIndex": 0,
             "samples": {"time": [0, 1], "count": [10, -5], "number": [1, 1], "length": 2}}
        if display:
            c["display"] = {"graphType": "line-accumulated", "unit": "bytes", "color": "orange",
                            "markerSchemaLocation": "timeline-memory", "sortWeight": 20,
                            "label": "Memory", "tooltipRows": []}
        p["counters"] = [c]
    return mut


MUTATIONS = [
    ("version-69", _set(["meta", "preprocessedProfileVersion"], 69), "preprocessedProfileVersion"),
    ("version-missing", _delete(["meta", "preprocessedProfileVersion"]), "preprocessedProfileVersion"),
    ("meta-interval-missing", _delete(["meta", "interval"]), "interval"),
    ("meta-product-missing", _delete(["meta", "product"]), "product"),
    ("meta-markerSchema-missing", _delete(["meta", "markerSchema"]), "markerSchema"),
    ("no-categories", _delete(["meta", "categories"]), "categories"),
    ("no-grey-category", _no_grey, "grey"),
    ("category-no-subcategories", _set(["meta", "categories", 2, "subcategories"], []), "subcategories"),
    ("bad-color", _set(["meta", "categories", 2, "color"], "pink"), "color"),
    ("missing-libs", _delete(["libs"]), "libs"),
    ("sample-stack-out-of-range", _set(["threads", 0, "samples", "stack", 2], 7), "stack[2]"),
    ("sample-stack-negative", _set(["threads", 1, "samples", "stack", 0], -1), "stack[0]"),
    ("wrong-weight", _set(["threads", 0, "samples", "weight", 1], 0.6), "weight[1]"),
    ("weights-null", _set(["threads", 0, "samples", "weight"], None), "weight"),
    ("weight-column-missing", _delete(["threads", 0, "samples", "weight"]), "weight"),
    ("weightType-samples", _set(["threads", 0, "samples", "weightType"], "samples"), "weightType"),
    ("last-sample-not-null", _set(["threads", 1, "samples", "stack", 5], 4), "last sample"),
    ("last-weight-not-zero", _set(["threads", 1, "samples", "weight", 5], 1.0), "last sample"),
    ("unsorted-times", _unsort, "not sorted"),
    ("unsorted-times-consistent-weights", _unsort_keep_weights_consistent, "not sorted"),
    ("samples-no-time", _delete(["threads", 0, "samples", "time"]), "time"),
    ("missing-column", _delete(["shared", "frameTable", "originalLocation"]), "originalLocation"),
    ("missing-frame-lib", _delete(["shared", "frameTable", "lib"]), "lib"),
    ("missing-func-source", _delete(["shared", "funcTable", "source"]), "source"),
    ("missing-table", _delete(["shared", "nativeSymbols"]), "nativeSymbols"),
    ("short-column", _short_column, "entries, length is"),
    ("wrong-length", _set(["shared", "stackTable", "length"], 8), "length is 8"),
    ("numeric-pid", _set(["threads", 0, "pid"], 4242), "pid"),
    ("lib-null", _set(["shared", "frameTable", "lib", 1], None), "lib"),
    ("lib-out-of-range", _set(["shared", "frameTable", "lib", 1], 0), "lib"),
    ("resource-null", _set(["shared", "funcTable", "resource", 1], None), "resource"),
    ("resource-out-of-range", _set(["shared", "funcTable", "resource", 1], 2), "resource"),
    ("func-source-out-of-range", _set(["shared", "funcTable", "source", 0], 1), "source"),
    ("func-name-string-out-of-range", _set(["shared", "funcTable", "name", 2], 11), "name"),
    ("isJS-not-bool", _set(["shared", "funcTable", "isJS", 0], 1), "isJS"),
    ("source-filename-out-of-range", _set(["shared", "sources", "filename", 0], 99), "filename"),
    ("resource-name-out-of-range", _set(["shared", "resourceTable", "name", 1], 11), "name"),
    ("frame-func-out-of-range", _set(["shared", "frameTable", "func", 4], 5), "func"),
    ("frame-category-out-of-range", _set(["shared", "frameTable", "category", 0], 7), "category"),
    ("frame-subcategory-null", _set(["shared", "frameTable", "subcategory", 0], None), "subcategory"),
    ("frame-subcategory-out-of-range", _set(["shared", "frameTable", "subcategory", 0], 1), "subcategory"),
    ("stack-frame-out-of-range", _set(["shared", "stackTable", "frame", 3], 5), "frame"),
    ("prefixOffset-negative", _set(["shared", "stackTable", "prefixOffset", 2], -1), "prefixOffset"),
    ("prefixOffset-before-root", _set(["shared", "stackTable", "prefixOffset", 1], 2), "prefixOffset"),
    ("prefixOffset-null", _set(["shared", "stackTable", "prefixOffset", 1], None), "prefixOffset"),
    ("string-not-interned-once", lambda p: p["shared"]["stringArray"].append("compute"), "interned"),
    ("marker-without-schema", _add_marker({"type": "Nope", "x": 1}), "no schema"),
    ("marker-data-no-type", _add_marker({"text": "x"}), "type"),
    ("marker-number-field-string", _add_marker({"type": "GC", "generation": "0"}), "not a number"),
    ("marker-bytes-field-string", _add_marker({"type": "Allocation", "bytes": "4096"}), "not a number"),
    ("marker-string-field-number", _add_marker({"type": "Print", "text": 5}), "not a string"),
    ("marker-interval-no-end", _add_marker(None, phase=1, start=1.0, end=None), "phase 1"),
    ("marker-interval-end-before-start", _add_marker(None, phase=1, start=2.0, end=1.0), "endTime"),
    ("marker-instant-no-start", _add_marker(None, phase=0, start=None), "startTime"),
    ("marker-bad-phase", _add_marker(None, phase=4), "phase"),
    ("marker-name-out-of-range", _add_marker(None, name=11), "name"),
    ("marker-category-out-of-range", _add_marker(None, category=7), "category"),
    ("marker-column-missing", _delete(["threads", 1, "markers", "phase"]), "phase"),
    ("schema-bad-format", _set(["meta", "markerSchema", 0, "fields", 0, "format"], "text"), "format"),
    ("schema-data-not-fields", lambda p: p["meta"]["markerSchema"][3].update(
        data=p["meta"]["markerSchema"][3].pop("fields")), "fields"),
    ("schema-bad-display", _set(["meta", "markerSchema", 1, "display"], ["sidebar"]), "display"),
    ("counter-without-display", _counter(display=False), "display"),
    ("initialVisibleThreads-missing", _delete(["meta", "initialVisibleThreads"]), "initialVisibleThreads"),
    ("initialVisibleThreads-partial", _set(["meta", "initialVisibleThreads"], [0]), "initialVisibleThreads"),
    ("initialVisibleThreads-out-of-range", _set(["meta", "initialVisibleThreads"], [0, 1, 2]), "initialVisibleThreads"),
    ("thread-missing-isMainThread", _delete(["threads", 1, "isMainThread"]), "isMainThread"),
    ("thread-missing-registerTime", _delete(["threads", 1, "registerTime"]), "registerTime"),
    ("thread-missing-markers", _delete(["threads", 1, "markers"]), "markers"),
    ("threads-empty", _set(["threads"], []), "threads"),
    ("sample-outside-root-range", _set(["meta", "profilingEndTime"], 5.0), "root range"),
]


@pytest.mark.parametrize("mutate,expected", [(m, e) for _, m, e in MUTATIONS],
                         ids=[i for i, _, _ in MUTATIONS])
def test_mutation_is_caught(good, mutate, expected):
    bad = copy.deepcopy(good)
    mutate(bad)
    problems = pv.validate(bad)
    assert problems, "mutation was not caught"
    assert any(expected in p for p in problems), problems


def test_valid_counter_passes(good):
    _counter(display=True)(good)
    assert pv.validate(good) == []


def test_cli_ok_and_fail(tmp_path, good):
    script = os.path.join(HERE, "profile_validator.py")
    ok = subprocess.run([sys.executable, script, GOOD], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = copy.deepcopy(good)
    bad["threads"][0]["pid"] = 4242
    bad["threads"][0]["samples"]["stack"][1] = 99
    path = tmp_path / "bad.json.gz"
    path.write_bytes(gzip.compress(json.dumps(bad).encode()))
    r = subprocess.run([sys.executable, script, str(path)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "pid" in r.stdout and "stack[1]" in r.stdout
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    r = subprocess.run([sys.executable, script, str(garbage)], capture_output=True, text=True)
    assert r.returncode == 1 and "cannot load" in r.stdout


# ---- helpers on the example (known answers read off FIREFOX-PROFILE-FORMAT.md §10)

def test_helpers_on_example(good):
    assert pv.thread_names(good) == ["MainThread", "Thread-1 (worker)"]
    assert pv.processes(good) == [{"pid": "4242", "processName": "python app.py",
                                   "threads": ["MainThread", "Thread-1 (worker)"],
                                   "main": "MainThread"}]
    # main: <module> (root after nothing), compute, helper, loads -> pushes.
    assert pv.call_counts(good, 0) == {"<module>": 1, "compute": 1, "helper": 1, "loads": 1}
    assert pv.call_counts(good, "Thread-1 (worker)") == {"worker_main": 1, "helper": 1, "loads": 1}
    assert pv.stack_names(good, 6) == ["worker_main", "helper", "loads"]
    fn = pv.functions(good)
    assert fn["loads"][0]["isJS"] is False and fn["loads"][0]["resource"] == "json"
    assert fn["compute"][0] == {"isJS": True, "relevantForJS": False, "file": "app.py",
                                "line": 10, "resource": "app.py"}
    assert pv.max_depth(good, 0, "compute") == 1
    assert [d["text"] for d in pv.marker_data(good, 1, "Print")] == ["hello from worker"]


def test_call_counts_separates_consecutive_calls(good):
    # compute -> helper -> compute (zero-length parent sample) -> helper: two helper calls.
    s = good["threads"][0]["samples"]
    s["time"] = [0, 1.0, 1.5, 3.0, 3.0, 4.0, 5.0, 6.0]
    s["stack"] = [0, 1, 2, 1, 2, 1, 0, None]
    s["weight"] = [1.0, 0.5, 1.5, 0.0, 1.0, 1.0, 1.0, 0]
    assert pv.validate(good) == []
    assert pv.call_counts(good, 0)["helper"] == 2
    # Without the parent's sample the two calls merge into one (the count can't be read back).
    for k in ("time", "stack", "weight"):
        del s[k][3]
    s["length"] = 7
    assert pv.validate(good) == []
    assert pv.call_counts(good, 0)["helper"] == 1


def test_caller_call_counts(good):
    assert pv.caller_call_counts(good, 0) == {(None, "<module>"): 1, ("<module>", "compute"): 1,
                                              ("compute", "helper"): 1, ("compute", "loads"): 1}
