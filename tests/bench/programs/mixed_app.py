"""A realistic mixed program: worker threads parse JSON records, filter them with regular
expressions, and write/read report files; the main thread aggregates."""
import json
import os
import re
import sys
import tempfile
import threading

WORD = re.compile(r"[a-z]+")
EMAIL = re.compile(r"^[\w.]+@([\w]+)\.(com|org|net)$")


def make_records(n, seed):
    out = []
    for i in range(n):
        k = (i * 2654435761 + seed) % 1000003
        out.append({"id": i, "user": "user%d" % (k % 97),
                    "email": "u%d@%s.%s" % (k % 89, ["ex", "corp", "mail"][k % 3],
                                            ["com", "org", "net"][k % 3]),
                    "text": " ".join("w%s" % chr(97 + (k >> j) % 26) for j in range(8)),
                    "score": k % 1000 / 10.0})
    return out


def process(lines):
    domains = {}
    words = 0
    score = 0.0
    for line in lines:
        rec = json.loads(line)
        m = EMAIL.match(rec["email"])
        if m:
            domains[m.group(1)] = domains.get(m.group(1), 0) + 1
        words += len(WORD.findall(rec["text"]))
        score += rec["score"]
    return domains, words, score


def worker(idx, n, folder, results):
    recs = make_records(n, idx)
    path = os.path.join(folder, "part%d.jsonl" % idx)
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    with open(path) as f:
        results[idx] = process(f)


def main(scale):
    n = int(1500 * scale)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        threads = [threading.Thread(target=worker, args=(i, n, folder, results))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    domains = {}
    words = 0
    score = 0.0
    for d, w, s in results.values():
        for k, v in d.items():
            domains[k] = domains.get(k, 0) + v
        words += w
        score += s
    print("domains %s words %d score %.1f" % (sorted(domains.items()), words, score))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
