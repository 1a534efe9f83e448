#!/usr/bin/env python3
"""Structural validator for Firefox Profiler processed profiles (version 70) as ftrace writes them.

Written from /work/shared/FIREFOX-PROFILE-FORMAT.md: the Firefox Profiler does not validate a
current-version profile, so a bad index silently shows wrong numbers. This module reports every
rule of that page it can check, plus ftrace's own tracing conventions (weightType "tracing-ms",
weight = gap to the next sample, each thread closed by a null-stack zero-weight sample).

Use as a module::

    from profile_validator import load_profile, validate, call_counts
    problems = validate(load_profile("profile.json.gz"))

or as a CLI::

    python3 profile_validator.py profile.json[.gz] [...]   # exit 1 and a list of problems

Only the standard library is used, so it runs under any Python 3.8+.
"""
from __future__ import annotations

import collections
import gzip
import json
import math
import sys
from typing import Any, Dict, Iterable, List, Optional

PROCESSED_PROFILE_VERSION = 70
GECKO_VERSION = 36

# Absolute tolerance (ms) when comparing a weight with its time gap (1 ns = 1e-6 ms); a small
# relative part absorbs float error on large absolute times.
WEIGHT_ABS_TOL_MS = 1e-6
WEIGHT_REL_TOL = 1e-9

CATEGORY_COLORS = {
    "transparent", "purple", "green", "orange", "yellow", "lightblue", "blue", "brown",
    "magenta", "red", "lightred", "darkgrey", "grey",
}
MARKER_DISPLAY = {
    "marker-chart", "marker-table", "timeline-overview", "timeline-memory", "timeline-ipc",
    "timeline-fileio", "timeline-network", "stack-chart",
}
STRING_FORMATS = {"string", "sanitized-string", "url", "file-path", "flow-id", "terminating-flow-id"}
INDEX_STRING_FORMATS = {"unique-string"}
NUMBER_FORMATS = {
    "integer", "decimal", "bytes", "percentage", "duration", "time", "seconds", "milliseconds",
    "microseconds", "nanoseconds", "hexadecimal", "pid", "tid",
}
OTHER_FORMATS = {"list"}
ALL_SIMPLE_FORMATS = STRING_FORMATS | INDEX_STRING_FORMATS | NUMBER_FORMATS | OTHER_FORMATS

# §4: every column of every shared table is required at v70.
SHARED_TABLES = {
    "stackTable": ["frame", "prefixOffset"],
    "frameTable": ["address", "inlineDepth", "category", "subcategory", "func", "lib",
                   "nativeSymbol", "innerWindowID", "line", "column", "originalLocation"],
    "funcTable": ["name", "isJS", "relevantForJS", "resource", "source", "lineNumber",
                  "columnNumber", "originalLocation"],
    "resourceTable": ["name", "host", "type"],
    "nativeSymbols": ["libIndex", "address", "name", "functionSize"],
    "sources": ["id", "filename", "startLine", "startColumn", "sourceMapURL", "content"],
    "sourceLocationTable": ["source", "line", "column"],
}
MARKER_COLUMNS = ["data", "name", "startTime", "endTime", "phase", "category"]
THREAD_REQUIRED = ["name", "processType", "processStartupTime", "processShutdownTime",
                   "registerTime", "unregisterTime", "pausedRanges", "isMainThread", "pid", "tid",
                   "samples", "markers"]
META_REQUIRED = ["interval", "startTime", "processType", "product", "stackwalk", "version",
                 "preprocessedProfileVersion", "markerSchema"]
COUNTER_DISPLAY_KEYS = ["graphType", "unit", "color", "markerSchemaLocation", "sortWeight",
                        "label", "tooltipRows"]


# --------------------------------------------------------------------------------------------
# small type predicates (bool is an int in Python: never accept it as a number)

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(float(v)))


def _is_index(v: Any, n: int) -> bool:
    return _is_int(v) and 0 <= v < n


# --------------------------------------------------------------------------------------------
# loading

def load_profile(path: str) -> Dict[str, Any]:
    """Loads a profile, gzipped (sniffed by magic, like the app does) or plain JSON."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


# --------------------------------------------------------------------------------------------
# validation

class _Checker:
    def __init__(self, profile: Any, tracing: bool):
        self.p = profile
        self.tracing = tracing
        self.problems: List[str] = []
        self.n_strings = 0
        self.n_categories = 0
        self.categories: List[Any] = []
        self.schemas: Dict[str, Any] = {}
        self.sizes: Dict[str, int] = {}

    def bad(self, msg: str) -> None:
        self.problems.append(msg)

    # -- top level ---------------------------------------------------------------------------
    def run(self) -> List[str]:
        p = self.p
        if not isinstance(p, dict):
            self.bad("profile: top level is not a JSON object")
            return self.problems
        for key in ("meta", "libs", "shared", "threads"):
            if key not in p:
                self.bad(f"profile: missing top-level key '{key}'")
        if not isinstance(p.get("libs", []), list):
            self.bad("libs: not an array")
        meta = p.get("meta")
        if isinstance(meta, dict):
            self.check_meta(meta)
        elif "meta" in p:
            self.bad("meta: not an object")
        shared = p.get("shared")
        if isinstance(shared, dict):
            self.check_shared(shared)
        elif "shared" in p:
            self.bad("shared: not an object")
        threads = p.get("threads")
        if not isinstance(threads, list) or not threads:
            if "threads" in p:
                self.bad("threads: must be a non-empty array")
            threads = []
        for i, t in enumerate(threads):
            self.check_thread(i, t)
        if isinstance(meta, dict):
            self.check_thread_lists(meta, len(threads))
        counters = p.get("counters")
        if counters is not None:
            self.check_counters(counters, len(threads))
        return self.problems

    # -- meta --------------------------------------------------------------------------------
    def check_meta(self, meta: Dict[str, Any]) -> None:
        for key in META_REQUIRED:
            if key not in meta:
                self.bad(f"meta: missing required field '{key}'")
        if meta.get("preprocessedProfileVersion") != PROCESSED_PROFILE_VERSION:
            self.bad(f"meta.preprocessedProfileVersion is {meta.get('preprocessedProfileVersion')!r},"
                     f" expected {PROCESSED_PROFILE_VERSION}")
        if "version" in meta and not _is_num(meta["version"]):
            self.bad("meta.version: not a number")
        if "interval" in meta and not (_is_num(meta["interval"]) and meta["interval"] > 0):
            self.bad(f"meta.interval: must be a positive number, got {meta['interval']!r}")
        if "startTime" in meta and not _is_num(meta["startTime"]):
            self.bad("meta.startTime: not a number")
        if "processType" in meta and not _is_num(meta["processType"]):
            self.bad("meta.processType: not a number")
        if "product" in meta and not isinstance(meta["product"], str):
            self.bad("meta.product: not a string")
        if "stackwalk" in meta and meta["stackwalk"] not in (0, 1):
            self.bad("meta.stackwalk: must be 0 or 1")
        ps, pe = meta.get("profilingStartTime"), meta.get("profilingEndTime")
        for k, v in (("profilingStartTime", ps), ("profilingEndTime", pe)):
            if k in meta and not _is_num(v):
                self.bad(f"meta.{k}: not a number")
        if _is_num(ps) and _is_num(pe) and pe < ps:
            self.bad(f"meta.profilingEndTime {pe} < profilingStartTime {ps}")
        if meta.get("symbolicated") is False:
            self.bad("meta.symbolicated is false: the app would request symbolication")
        self.check_categories(meta.get("categories"))
        self.check_marker_schemas(meta.get("markerSchema"))

    def check_categories(self, cats: Any) -> None:
        if cats is None:
            self.bad("meta.categories: missing (the app would use browser defaults)")
            return
        if not isinstance(cats, list) or not cats:
            self.bad("meta.categories: must be a non-empty array")
            return
        self.categories = cats
        self.n_categories = len(cats)
        grey = False
        for i, c in enumerate(cats):
            if not isinstance(c, dict):
                self.bad(f"meta.categories[{i}]: not an object")
                continue
            if not isinstance(c.get("name"), str):
                self.bad(f"meta.categories[{i}].name: not a string")
            if c.get("color") not in CATEGORY_COLORS:
                self.bad(f"meta.categories[{i}].color: {c.get('color')!r} is not a known color")
            if c.get("color") == "grey":
                grey = True
            subs = c.get("subcategories")
            if not isinstance(subs, list) or not subs or not all(isinstance(s, str) for s in subs):
                self.bad(f"meta.categories[{i}].subcategories: needs at least subcategory 0 "
                         f"(strings), got {subs!r}")
        if not grey:
            self.bad("meta.categories: no 'grey' category (the first grey one is the default)")

    def check_marker_schemas(self, schemas: Any) -> None:
        if schemas is None:
            return  # already reported as missing
        if not isinstance(schemas, list):
            self.bad("meta.markerSchema: not an array")
            return
        for i, s in enumerate(schemas):
            where = f"meta.markerSchema[{i}]"
            if not isinstance(s, dict):
                self.bad(f"{where}: not an object")
                continue
            name = s.get("name")
            if not isinstance(name, str):
                self.bad(f"{where}.name: not a string")
                continue
            where = f"meta.markerSchema[{i}] ({name})"
            if name in self.schemas:
                self.bad(f"{where}: duplicate schema name")
            self.schemas[name] = s
            disp = s.get("display")
            if not isinstance(disp, list):
                self.bad(f"{where}.display: missing or not an array")
            else:
                for d in disp:
                    if d not in MARKER_DISPLAY:
                        self.bad(f"{where}.display: unknown location {d!r}")
            fields = s.get("fields")
            if not isinstance(fields, list):
                self.bad(f"{where}.fields: missing or not an array (v55+: 'fields', not 'data')")
                continue
            for j, f in enumerate(fields):
                if not isinstance(f, dict) or not isinstance(f.get("key"), str):
                    self.bad(f"{where}.fields[{j}]: needs a string 'key'")
                    continue
                fmt = f.get("format")
                if isinstance(fmt, dict):
                    if fmt.get("type") != "table" or not isinstance(fmt.get("columns"), list):
                        self.bad(f"{where}.fields[{j}].format: object format must be a table "
                                 f"with columns")
                elif fmt not in ALL_SIMPLE_FORMATS:
                    self.bad(f"{where}.fields[{j}] ({f['key']}): unknown format {fmt!r}")
            for g in s.get("graphs", []) or []:
                if not isinstance(g, dict) or g.get("type") not in ("bar", "line", "line-filled"):
                    self.bad(f"{where}.graphs: bad graph {g!r}")

    def check_thread_lists(self, meta: Dict[str, Any], n_threads: int) -> None:
        ivt = meta.get("initialVisibleThreads")
        if ivt is None:
            self.bad("meta.initialVisibleThreads: missing (quiet threads would start hidden)")
        elif not isinstance(ivt, list) or not all(_is_index(i, n_threads) for i in ivt):
            self.bad(f"meta.initialVisibleThreads: indexes must be in [0, {n_threads}), got {ivt!r}")
        else:
            missing = sorted(set(range(n_threads)) - set(ivt))
            if missing:
                self.bad(f"meta.initialVisibleThreads: threads {missing} are not visible on open")
        ist = meta.get("initialSelectedThreads")
        if ist is not None and (not isinstance(ist, list)
                                or not all(_is_index(i, n_threads) for i in ist)):
            self.bad(f"meta.initialSelectedThreads: indexes must be in [0, {n_threads}), got {ist!r}")

    # -- shared tables -----------------------------------------------------------------------
    def table(self, container: Dict[str, Any], name: str, columns: List[str], where: str
              ) -> Optional[Dict[str, list]]:
        """Checks a struct-of-arrays table; returns it when its shape is sound."""
        t = container.get(name)
        if not isinstance(t, dict):
            self.bad(f"{where}: missing or not an object")
            return None
        n = t.get("length")
        if not _is_int(n) or n < 0:
            self.bad(f"{where}.length: missing or not a non-negative integer ({n!r})")
            return None
        ok = True
        for col in columns:
            if col not in t:
                self.bad(f"{where}.{col}: missing column")
                ok = False
            elif not isinstance(t[col], list):
                self.bad(f"{where}.{col}: not an array")
                ok = False
            elif len(t[col]) != n:
                self.bad(f"{where}.{col}: {len(t[col])} entries, length is {n}")
                ok = False
        return t if ok else None

    def check_shared(self, shared: Dict[str, Any]) -> None:
        sa = shared.get("stringArray")
        if not isinstance(sa, list):
            self.bad("shared.stringArray: missing or not an array")
            sa = []
        else:
            for i, s in enumerate(sa):
                if not isinstance(s, str):
                    self.bad(f"shared.stringArray[{i}]: not a string ({s!r})")
            dups = [s for s, c in collections.Counter(x for x in sa if isinstance(x, str)).items()
                    if c > 1]
            if dups:
                self.bad(f"shared.stringArray: strings not interned once: {dups[:5]!r}")
        self.n_strings = len(sa)
        libs = self.p.get("libs") if isinstance(self.p.get("libs"), list) else []
        tables = {name: self.table(shared, name, cols, f"shared.{name}")
                  for name, cols in SHARED_TABLES.items()}
        self.sizes = {name: (t["length"] if t else 0) for name, t in tables.items()}
        self.sizes_ok = {name: t is not None for name, t in tables.items()}
        ns = self.n_strings

        t = tables["sources"]
        if t:
            for i in range(t["length"]):
                w = f"shared.sources[{i}]"
                if not _is_index(t["filename"][i], ns):
                    self.bad(f"{w}.filename: string index {t['filename'][i]!r} out of range")
                for col in ("startLine", "startColumn"):
                    if t[col][i] is not None and not _is_int(t[col][i]):
                        self.bad(f"{w}.{col}: not an integer or null")
                if t["content"][i] is not None and not isinstance(t["content"][i], str):
                    if not _is_index(t["content"][i], ns):
                        self.bad(f"{w}.content: neither null, text nor a string index")
        t = tables["resourceTable"]
        if t:
            for i in range(t["length"]):
                w = f"shared.resourceTable[{i}]"
                if not _is_index(t["name"][i], ns):
                    self.bad(f"{w}.name: string index {t['name'][i]!r} out of range")
                if t["host"][i] is not None and not _is_index(t["host"][i], ns):
                    self.bad(f"{w}.host: neither null nor a string index")
                if t["type"][i] not in (0, 1, 2, 3, 4, 5) or isinstance(t["type"][i], bool):
                    self.bad(f"{w}.type: {t['type'][i]!r} not in 0..5")
        t = tables["nativeSymbols"]
        if t:
            for i in range(t["length"]):
                w = f"shared.nativeSymbols[{i}]"
                if not _is_index(t["libIndex"][i], len(libs)):
                    self.bad(f"{w}.libIndex: {t['libIndex'][i]!r} out of range of libs")
                if not _is_index(t["name"][i], ns):
                    self.bad(f"{w}.name: string index out of range")
        t = tables["sourceLocationTable"]
        if t:
            for i in range(t["length"]):
                if not _is_index(t["source"][i], self.sizes["sources"]):
                    self.bad(f"shared.sourceLocationTable[{i}].source: out of range")
        t = tables["funcTable"]
        if t:
            n_res, n_src = self.sizes["resourceTable"], self.sizes["sources"]
            for i in range(t["length"]):
                w = f"shared.funcTable[{i}]"
                if not _is_index(t["name"][i], ns):
                    self.bad(f"{w}.name: string index {t['name'][i]!r} out of range")
                for col in ("isJS", "relevantForJS"):
                    if not isinstance(t[col][i], bool):
                        self.bad(f"{w}.{col}: not a boolean ({t[col][i]!r})")
                r = t["resource"][i]
                if r is None:
                    self.bad(f"{w}.resource: null (use -1 for none)")
                elif not (r == -1 and _is_int(r)) and not _is_index(r, n_res):
                    self.bad(f"{w}.resource: {r!r} out of range (resources: {n_res})")
                s = t["source"][i]
                if s is not None and not _is_index(s, n_src):
                    self.bad(f"{w}.source: {s!r} out of range (sources: {n_src})")
                for col in ("lineNumber", "columnNumber"):
                    if t[col][i] is not None and not _is_int(t[col][i]):
                        self.bad(f"{w}.{col}: not an integer or null ({t[col][i]!r})")
        t = tables["frameTable"]
        if t:
            n_func, n_sym = self.sizes["funcTable"], self.sizes["nativeSymbols"]
            for i in range(t["length"]):
                w = f"shared.frameTable[{i}]"
                if not _is_index(t["func"][i], n_func):
                    self.bad(f"{w}.func: {t['func'][i]!r} out of range (funcs: {n_func})")
                c, sc = t["category"][i], t["subcategory"][i]
                if c is not None:
                    if not _is_index(c, self.n_categories):
                        self.bad(f"{w}.category: {c!r} out of range "
                                 f"(categories: {self.n_categories})")
                    elif sc is None:
                        self.bad(f"{w}.subcategory: null while category is set")
                    else:
                        subs = self.categories[c].get("subcategories") if isinstance(
                            self.categories[c], dict) else None
                        if not isinstance(subs, list) or not _is_index(sc, len(subs)):
                            self.bad(f"{w}.subcategory: {sc!r} out of range of category {c}")
                elif sc is not None and not _is_int(sc):
                    self.bad(f"{w}.subcategory: not an integer or null")
                lib = t["lib"][i]
                if lib is None:
                    self.bad(f"{w}.lib: null (v70: use -1 for none)")
                elif not (lib == -1 and _is_int(lib)) and not _is_index(lib, len(libs)):
                    self.bad(f"{w}.lib: {lib!r} out of range of libs")
                sym = t["nativeSymbol"][i]
                if sym is not None and not _is_index(sym, n_sym):
                    self.bad(f"{w}.nativeSymbol: {sym!r} out of range")
                if not _is_num(t["address"][i]):
                    self.bad(f"{w}.address: not a number")
                if not (_is_int(t["inlineDepth"][i]) and t["inlineDepth"][i] >= 0):
                    self.bad(f"{w}.inlineDepth: not a non-negative integer")
                if not _is_num(t["innerWindowID"][i]):
                    self.bad(f"{w}.innerWindowID: not a number")
                for col in ("line", "column"):
                    if t[col][i] is not None and not _is_int(t[col][i]):
                        self.bad(f"{w}.{col}: not an integer or null")
        t = tables["stackTable"]
        if t:
            n_frames = self.sizes["frameTable"]
            for i in range(t["length"]):
                w = f"shared.stackTable[{i}]"
                if not _is_index(t["frame"][i], n_frames):
                    self.bad(f"{w}.frame: {t['frame'][i]!r} out of range (frames: {n_frames})")
                off = t["prefixOffset"][i]
                if not _is_int(off) or off < 0:
                    self.bad(f"{w}.prefixOffset: {off!r} is not an integer >= 0")
                elif off > i:
                    self.bad(f"{w}.prefixOffset: {off} points before stack 0")

    # -- threads -----------------------------------------------------------------------------
    def check_thread(self, ti: int, t: Any) -> None:
        where = f"threads[{ti}]"
        if not isinstance(t, dict):
            self.bad(f"{where}: not an object")
            return
        if isinstance(t.get("name"), str):
            where = f"threads[{ti}] ({t['name']})"
        for key in THREAD_REQUIRED:
            if key not in t:
                self.bad(f"{where}: missing required field '{key}'")
        if "name" in t and not isinstance(t["name"], str):
            self.bad(f"{where}.name: not a string")
        if "processType" in t and not isinstance(t["processType"], str):
            self.bad(f"{where}.processType: not a string")
        if "pid" in t and not isinstance(t["pid"], str):
            self.bad(f"{where}.pid: {t['pid']!r} is not a string (v47+)")
        if "tid" in t and not (_is_num(t["tid"]) or isinstance(t["tid"], str)):
            self.bad(f"{where}.tid: neither number nor string")
        if "isMainThread" in t and not isinstance(t["isMainThread"], bool):
            self.bad(f"{where}.isMainThread: not a boolean")
        if "pausedRanges" in t and not isinstance(t["pausedRanges"], list):
            self.bad(f"{where}.pausedRanges: not an array")
        for key in ("processStartupTime", "registerTime"):
            if key in t and not _is_num(t[key]):
                self.bad(f"{where}.{key}: not a number")
        for key in ("processShutdownTime", "unregisterTime"):
            if key in t and t[key] is not None and not _is_num(t[key]):
                self.bad(f"{where}.{key}: neither number nor null")
        if (_is_num(t.get("registerTime")) and _is_num(t.get("unregisterTime"))
                and t["unregisterTime"] < t["registerTime"]):
            self.bad(f"{where}: unregisterTime < registerTime")
        if "processName" in t and not isinstance(t["processName"], str):
            self.bad(f"{where}.processName: not a string")
        if "samples" in t:
            self.check_samples(where, t["samples"])
        if "markers" in t:
            self.check_markers(where, t["markers"])

    def _times(self, table: Dict[str, Any], where: str, n: int) -> Optional[List[float]]:
        if "time" in table:
            times = table["time"]
            if not isinstance(times, list) or len(times) != n:
                self.bad(f"{where}.time: not an array of length {n}")
                return None
        elif "timeDeltas" in table:
            deltas = table["timeDeltas"]
            if not isinstance(deltas, list) or len(deltas) != n:
                self.bad(f"{where}.timeDeltas: not an array of length {n}")
                return None
            if not all(_is_num(d) for d in deltas):
                self.bad(f"{where}.timeDeltas: non-numeric entries")
                return None
            times, acc = [], 0.0
            for d in deltas:
                acc += d
                times.append(acc)
        else:
            self.bad(f"{where}: neither 'time' nor 'timeDeltas'")
            return None
        if not all(_is_num(x) for x in times):
            self.bad(f"{where}.time: non-numeric entries")
            return None
        return times

    def check_samples(self, where: str, s: Any) -> None:
        where = f"{where}.samples"
        if not isinstance(s, dict):
            self.bad(f"{where}: not an object")
            return
        n = s.get("length")
        if not _is_int(n) or n < 0:
            self.bad(f"{where}.length: missing or not a non-negative integer")
            return
        stacks = s.get("stack")
        if not isinstance(stacks, list) or len(stacks) != n:
            self.bad(f"{where}.stack: missing or not an array of length {n}")
            stacks = None
        times = self._times(s, where, n)
        wt = s.get("weightType")
        if wt not in ("samples", "tracing-ms", "bytes"):
            self.bad(f"{where}.weightType: {wt!r} is not samples|tracing-ms|bytes")
        elif self.tracing and wt != "tracing-ms":
            self.bad(f"{where}.weightType: {wt!r}, ftrace writes 'tracing-ms'")
        if "weight" not in s:
            self.bad(f"{where}.weight: missing column (null or an array)")
        weights = s.get("weight")
        if weights is not None and (not isinstance(weights, list) or len(weights) != n
                                    or not all(_is_num(w) for w in weights)):
            self.bad(f"{where}.weight: not null and not an array of {n} numbers")
            weights = None
        if stacks is not None:
            n_stacks = self.sizes.get("stackTable", 0)
            for i, st in enumerate(stacks):
                if st is not None and not _is_index(st, n_stacks):
                    self.bad(f"{where}.stack[{i}]: {st!r} out of range (stacks: {n_stacks})")
        if times is not None:
            for i in range(1, n):
                if times[i] < times[i - 1]:
                    self.bad(f"{where}.time: not sorted at {i} ({times[i - 1]} > {times[i]})")
                    break
            meta = self.p.get("meta") if isinstance(self.p.get("meta"), dict) else {}
            ps, pe = meta.get("profilingStartTime"), meta.get("profilingEndTime")
            if n and _is_num(ps) and _is_num(pe):
                lo, hi = min(times), max(times)
                tol = WEIGHT_ABS_TOL_MS + WEIGHT_REL_TOL * max(abs(lo), abs(hi))
                if lo < ps - tol or hi > pe + tol:
                    self.bad(f"{where}.time: samples [{lo}, {hi}] outside the root range "
                             f"[{ps}, {pe}]")
        if not self.tracing:
            return
        if weights is None:
            self.bad(f"{where}.weight: tracing profiles need one weight per sample")
        elif times is not None:
            bad_count = 0
            for i in range(n - 1):
                gap = times[i + 1] - times[i]
                tol = WEIGHT_ABS_TOL_MS + WEIGHT_REL_TOL * abs(times[i + 1])
                if abs(weights[i] - gap) > tol:
                    if bad_count < 5:
                        self.bad(f"{where}.weight[{i}]: {weights[i]!r} but the gap to the next "
                                 f"sample is {gap!r}")
                    bad_count += 1
            if bad_count > 5:
                self.bad(f"{where}.weight: {bad_count - 5} more weights differ from time gaps")
        if n == 0:
            self.bad(f"{where}: empty (a traced thread ends with a null-stack sample)")
        else:
            if stacks is not None and stacks[-1] is not None:
                self.bad(f"{where}: last sample has stack {stacks[-1]!r}, expected null")
            if weights is not None and weights[-1] != 0:
                self.bad(f"{where}: last sample has weight {weights[-1]!r}, expected 0")

    def check_markers(self, where: str, m: Any) -> None:
        where = f"{where}.markers"
        if not isinstance(m, dict):
            self.bad(f"{where}: not an object")
            return
        t = self.table({"m": m}, "m", MARKER_COLUMNS, where)
        if not t:
            return
        for i in range(t["length"]):
            w = f"{where}[{i}]"
            name = t["name"][i]
            if not _is_index(name, self.n_strings):
                self.bad(f"{w}.name: string index {name!r} out of range")
            if not _is_index(t["category"][i], self.n_categories):
                self.bad(f"{w}.category: {t['category'][i]!r} out of range")
            ph, st, en = t["phase"][i], t["startTime"][i], t["endTime"][i]
            for k, v in (("startTime", st), ("endTime", en)):
                if v is not None and not _is_num(v):
                    self.bad(f"{w}.{k}: neither number nor null")
            if ph == 0 or ph == 2:
                if not _is_num(st):
                    self.bad(f"{w}: phase {ph} needs a startTime")
            elif ph == 1:
                if not (_is_num(st) and _is_num(en)):
                    self.bad(f"{w}: phase 1 (interval) needs startTime and endTime")
                elif en < st:
                    self.bad(f"{w}: endTime {en} < startTime {st}")
            elif ph == 3:
                if not _is_num(en):
                    self.bad(f"{w}: phase 3 (interval end) needs an endTime")
            else:
                self.bad(f"{w}.phase: {ph!r} not in 0..3")
            self.check_marker_data(w, t["data"][i])

    def check_marker_data(self, w: str, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            self.bad(f"{w}.data: neither null nor an object")
            return
        typ = data.get("type")
        if not isinstance(typ, str):
            self.bad(f"{w}.data.type: missing or not a string")
            return
        schema = self.schemas.get(typ)
        if schema is None:
            self.bad(f"{w}.data.type: {typ!r} has no schema in meta.markerSchema")
            return
        for f in schema.get("fields") or []:
            if not isinstance(f, dict) or f.get("key") not in data:
                continue
            key, fmt, v = f["key"], f.get("format"), data[f["key"]]
            if v is None:
                continue
            if fmt in NUMBER_FORMATS and not _is_num(v):
                self.bad(f"{w}.data.{key}: {v!r} is not a number (format {fmt})")
            elif fmt in STRING_FORMATS and not isinstance(v, str):
                self.bad(f"{w}.data.{key}: {v!r} is not a string (format {fmt})")
            elif fmt in INDEX_STRING_FORMATS and not _is_index(v, self.n_strings):
                self.bad(f"{w}.data.{key}: {v!r} is not a string index (format {fmt})")

    # -- counters ----------------------------------------------------------------------------
    def check_counters(self, counters: Any, n_threads: int) -> None:
        if not isinstance(counters, list):
            self.bad("counters: not an array")
            return
        for i, c in enumerate(counters):
            w = f"counters[{i}]"
            if not isinstance(c, dict):
                self.bad(f"{w}: not an object")
                continue
            for key in ("name", "category", "description", "pid", "mainThreadIndex", "samples"):
                if key not in c:
                    self.bad(f"{w}: missing '{key}'")
            if "pid" in c and not isinstance(c["pid"], str):
                self.bad(f"{w}.pid: not a string")
            if "mainThreadIndex" in c and not _is_index(c["mainThreadIndex"], n_threads):
                self.bad(f"{w}.mainThreadIndex: out of range")
            disp = c.get("display")
            if not isinstance(disp, dict):
                self.bad(f"{w}.display: missing (required since v62/63; the app crashes)")
            else:
                for key in COUNTER_DISPLAY_KEYS:
                    if key not in disp:
                        self.bad(f"{w}.display: missing '{key}'")
            s = c.get("samples")
            if isinstance(s, dict):
                n = s.get("length")
                if not _is_int(n) or n < 0:
                    self.bad(f"{w}.samples.length: missing or bad")
                    continue
                times = self._times(s, f"{w}.samples", n)
                cnt = s.get("count")
                if not isinstance(cnt, list) or len(cnt) != n or not all(_is_num(x) for x in cnt):
                    self.bad(f"{w}.samples.count: not an array of {n} numbers")
                if times and any(times[k] < times[k - 1] for k in range(1, n)):
                    self.bad(f"{w}.samples.time: not sorted")


def validate(profile: Any, tracing: bool = True) -> List[str]:
    """Returns a list of problems (empty when valid). `tracing` adds ftrace's conventions."""
    return _Checker(profile, tracing).run()


def validate_file(path: str, tracing: bool = True) -> List[str]:
    try:
        profile = load_profile(path)
    except (OSError, ValueError, EOFError) as e:
        return [f"{path}: cannot load: {e}"]
    return validate(profile, tracing)


# --------------------------------------------------------------------------------------------
# helpers for tests

def stack_parent(profile: Dict[str, Any], s: int) -> Optional[int]:
    off = profile["shared"]["stackTable"]["prefixOffset"][s]
    return None if off == 0 else s - off


def stack_func(profile: Dict[str, Any], s: int) -> int:
    sh = profile["shared"]
    return sh["frameTable"]["func"][sh["stackTable"]["frame"][s]]


def func_name(profile: Dict[str, Any], f: int) -> str:
    sh = profile["shared"]
    return sh["stringArray"][sh["funcTable"]["name"][f]]


def stack_names(profile: Dict[str, Any], s: Optional[int]) -> List[str]:
    """Function names of a stack, root first."""
    out: List[str] = []
    while s is not None:
        out.append(func_name(profile, stack_func(profile, s)))
        s = stack_parent(profile, s)
    return out[::-1]


def _thread(profile: Dict[str, Any], thread: Any) -> Dict[str, Any]:
    if isinstance(thread, dict):
        return thread
    if isinstance(thread, int):
        return profile["threads"][thread]
    matches = [t for t in profile["threads"] if t["name"] == thread]
    if len(matches) != 1:
        raise KeyError(f"{len(matches)} threads named {thread!r}: {thread_names(profile)}")
    return matches[0]


def sample_times(thread: Dict[str, Any]) -> List[float]:
    s = thread["samples"]
    if "time" in s:
        return list(s["time"])
    out, acc = [], 0.0
    for d in s["timeDeltas"]:
        acc += d
        out.append(acc)
    return out


def call_counts(profile: Dict[str, Any], thread: Any) -> collections.Counter:
    """Calls per function name on one thread (index, name or thread object).

    A call is a push: a sample whose stack's parent is the previous sample's stack (a root
    stack after a null one counts too). Returns to the parent followed by a new call keep
    consecutive calls apart (the converter keeps the parent's zero-length sample).
    """
    t = _thread(profile, thread)
    counts: collections.Counter = collections.Counter()
    prev: Optional[int] = None
    for s in t["samples"]["stack"]:
        if s is not None and stack_parent(profile, s) == prev:
            counts[func_name(profile, stack_func(profile, s))] += 1
        prev = s
    return counts


def call_paths(profile: Dict[str, Any], thread: Any) -> collections.Counter:
    """Like call_counts, keyed by the full stack path (tuple of names, root first)."""
    t = _thread(profile, thread)
    counts: collections.Counter = collections.Counter()
    prev: Optional[int] = None
    for s in t["samples"]["stack"]:
        if s is not None and stack_parent(profile, s) == prev:
            counts[tuple(stack_names(profile, s))] += 1
        prev = s
    return counts


def caller_call_counts(profile: Dict[str, Any], thread: Any) -> collections.Counter:
    """Like call_counts, keyed by (caller name or None for a root, callee name)."""
    t = _thread(profile, thread)
    counts: collections.Counter = collections.Counter()
    prev: Optional[int] = None
    for s in t["samples"]["stack"]:
        if s is not None:
            parent = stack_parent(profile, s)
            if parent == prev:
                caller = func_name(profile, stack_func(profile, parent)) if parent is not None \
                    else None
                counts[(caller, func_name(profile, stack_func(profile, s)))] += 1
        prev = s
    return counts


def max_depth(profile: Dict[str, Any], thread: Any, name: str) -> int:
    """Deepest run of consecutive `name` frames in any sample of a thread."""
    t = _thread(profile, thread)
    best = 0
    for s in set(x for x in t["samples"]["stack"] if x is not None):
        run = 0
        for n in stack_names(profile, s):
            run = run + 1 if n == name else 0
            best = max(best, run)
    return best


def functions(profile: Dict[str, Any]) -> Dict[str, List[Dict[str, Any]]]:
    """name -> list of {isJS, relevantForJS, file, line, resource} for every func."""
    sh = profile["shared"]
    ft, sa = sh["funcTable"], sh["stringArray"]
    out: Dict[str, List[Dict[str, Any]]] = collections.defaultdict(list)
    for i in range(ft["length"]):
        src = ft["source"][i]
        res = ft["resource"][i]
        out[sa[ft["name"][i]]].append({
            "isJS": ft["isJS"][i],
            "relevantForJS": ft["relevantForJS"][i],
            "file": sa[sh["sources"]["filename"][src]] if src is not None else None,
            "line": ft["lineNumber"][i],
            "resource": sa[sh["resourceTable"]["name"][res]] if res != -1 else None,
        })
    return dict(out)


def thread_names(profile: Dict[str, Any]) -> List[str]:
    return [t["name"] for t in profile["threads"]]


def processes(profile: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One entry per distinct pid, in order of first appearance:
    {pid, processName, threads: [names], main: name of the isMainThread thread or None}."""
    procs: Dict[str, Dict[str, Any]] = {}
    for t in profile["threads"]:
        p = procs.setdefault(t["pid"], {"pid": t["pid"], "processName": t.get("processName"),
                                        "threads": [], "main": None})
        p["threads"].append(t["name"])
        if t.get("isMainThread"):
            p["main"] = t["name"]
    return list(procs.values())


def marker_data(profile: Dict[str, Any], thread: Any, type_: Optional[str] = None
                ) -> List[Dict[str, Any]]:
    t = _thread(profile, thread)
    return [d for d in t["markers"]["data"]
            if isinstance(d, dict) and (type_ is None or d.get("type") == type_)]


# --------------------------------------------------------------------------------------------

def main(argv: Iterable[str]) -> int:
    args = list(argv)
    tracing = True
    if "--no-tracing" in args:
        args.remove("--no-tracing")
        tracing = False
    if not args or any(a in ("-h", "--help") for a in args):
        print("usage: profile_validator.py [--no-tracing] PROFILE.json[.gz] [...]",
              file=sys.stderr)
        return 2
    status = 0
    for path in args:
        problems = validate_file(path, tracing)
        if problems:
            status = 1
            print(f"{path}: INVALID, {len(problems)} problem(s):")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"{path}: OK")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
