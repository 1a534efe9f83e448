#!/usr/bin/env python3
"""A profile's meaning, without its layout: the normalized form the compatibility fixtures
(tests/fixtures/) are compared in.

Every index is resolved: a frame becomes "name|file|line|resource|category", stacks are
re-interned in order of first use, times become integer nanoseconds. What the converter is
free to change (table order, string interning, timeDeltas vs time, weights, which are the gaps
between samples and checked by profile_validator) drops out; everything a user sees stays:
threads and processes with their names, pids and lifetimes, every sample's time and stack,
every marker with its data, counters, and the meta fields the profiler shows.

    python3 profile_normalize.py PROFILE.json[.gz] > normalized.json
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Optional

from profile_validator import load_profile, sample_times


def ns(ms: Optional[float]) -> Optional[int]:
    return None if ms is None else int(round(ms * 1e6))


def _frame_labels(profile: Dict[str, Any]) -> List[str]:
    sh = profile["shared"]
    sa = sh["stringArray"]
    ft, fr = sh["funcTable"], sh["frameTable"]
    cats = [c["name"] for c in profile["meta"].get("categories", [])]
    labels = []
    for i in range(fr["length"]):
        f = fr["func"][i]
        src = ft["source"][f]
        res = ft["resource"][f]
        cat = fr["category"][i]
        labels.append("|".join([
            sa[ft["name"][f]],
            sa[sh["sources"]["filename"][src]] if src is not None else "",
            str(fr["line"][i] if fr["line"][i] is not None else (ft["lineNumber"][f] or "")),
            sa[sh["resourceTable"]["name"][res]] if res != -1 else "",
            cats[cat] if cat is not None and cat < len(cats) else str(cat),
        ]))
    return labels


def normalize(profile: Dict[str, Any]) -> Dict[str, Any]:
    sh = profile["shared"]
    labels = _frame_labels(profile)
    frames: List[str] = []          # labels in order of first use
    frame_ids: Dict[str, int] = {}
    stacks: List[List[int]] = []    # [parent or -1, frame], in order of first use
    stack_ids: Dict[int, int] = {}  # profile stack -> normalized stack

    def stack_id(s: Optional[int]) -> Optional[int]:
        if s is None:
            return None
        if s in stack_ids:
            return stack_ids[s]
        off = sh["stackTable"]["prefixOffset"][s]
        parent = stack_id(s - off) if off else None
        label = labels[sh["stackTable"]["frame"][s]]
        if label not in frame_ids:
            frame_ids[label] = len(frames)
            frames.append(label)
        stack_ids[s] = len(stacks)
        stacks.append([-1 if parent is None else parent, frame_ids[label]])
        return stack_ids[s]

    cats = [c["name"] for c in profile["meta"].get("categories", [])]
    threads = []
    for t in profile["threads"]:
        times = sample_times(t)
        samples = [[ns(tm), stack_id(s)] for tm, s in zip(times, t["samples"]["stack"])]
        m = t["markers"]
        markers = []
        for i in range(m["length"]):
            markers.append([sh["stringArray"][m["name"][i]], ns(m["startTime"][i]), ns(m["endTime"][i]),
                            m["phase"][i], cats[m["category"][i]], m["data"][i]])
        threads.append({
            "name": t["name"], "processName": t.get("processName"), "pid": t["pid"], "tid": t["tid"],
            "isMainThread": t.get("isMainThread"),
            "processStartupTime": ns(t.get("processStartupTime")),
            "processShutdownTime": ns(t.get("processShutdownTime")),
            "registerTime": ns(t.get("registerTime")), "unregisterTime": ns(t.get("unregisterTime")),
            "weightType": t["samples"].get("weightType"),
            "samples": samples,
            "markers": markers,
        })
    counters = []
    for c in profile.get("counters", []):
        s = c["samples"]
        counters.append({
            "name": c["name"], "category": c.get("category"), "description": c.get("description"),
            "pid": c["pid"], "mainThreadIndex": c["mainThreadIndex"],
            "samples": [[ns(tm), n, k] for tm, n, k in zip(sample_times(s) if "timeDeltas" in s else s["time"],
                                                            s["count"], s.get("number", [None] * s["length"]))],
        })
    meta = profile["meta"]
    keep = ("version", "preprocessedProfileVersion", "product", "arguments", "importedFrom",
            "initialVisibleThreads", "initialSelectedThreads", "keepProfileThreadOrder")
    return {
        "meta": dict({k: meta.get(k) for k in keep},
                     startTime_us=int(round(meta["startTime"] * 1e3)),
                     profilingStartTime=ns(meta.get("profilingStartTime")),
                     profilingEndTime=ns(meta.get("profilingEndTime")),
                     categories=[[c["name"], c["color"], c["subcategories"]] for c in meta.get("categories", [])],
                     markerSchema=sorted(meta.get("markerSchema", []), key=lambda s: s["name"])),
        "frames": frames,
        "stacks": stacks,
        "threads": threads,
        "counters": counters,
    }


def dumps(value: Any) -> str:
    """JSON with one sample, marker, stack or frame per line: small diffs, stable bytes."""
    def enc(v: Any, indent: str) -> str:
        if isinstance(v, dict) and v:
            inner = indent + "  "
            items = [f"{inner}{json.dumps(k)}: {enc(x, inner)}" for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + indent + "}"
        if isinstance(v, list) and v and any(isinstance(x, (list, dict)) for x in v):
            inner = indent + "  "
            return "[\n" + ",\n".join(inner + json.dumps(x, sort_keys=True, ensure_ascii=False,
                                                         separators=(",", ":"))
                                      if not isinstance(x, dict) or len(json.dumps(x)) < 200
                                      else inner + enc(x, inner) for x in v) + "\n" + indent + "]"
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return enc(value, "") + "\n"


def main(argv: List[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(dumps(normalize(load_profile(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
