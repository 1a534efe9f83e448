"""A small order-processing service: the sample ftrace records in the README.

Generates a batch of orders, parses them (json), validates them (re), prices them in
worker threads, writes a report file and prints a summary. Several modules, several
named threads, recursion, generators, a little I/O: the shapes a real program has.
"""
import contextlib
import logging
import os
import queue
import sys
import tempfile
import threading
import time

import catalog
import pricing
import report

try:  # user regions show in the profile when recorded; plain runs do not need ftrace
    import ftrace
except ImportError:
    ftrace = None

log = logging.getLogger("orders")
log.addHandler(logging.NullHandler())  # records reach the profile, not the terminal
log.setLevel(logging.INFO)


def region(name):
    return ftrace.region(name) if ftrace is not None else contextlib.nullcontext()


def make_orders(n, seed=7):
    """Deterministic pseudo-random orders as JSON text, one per line."""
    import json

    rng = seed
    skus = catalog.all_skus()
    for i in range(n):
        rng = (rng * 1103515245 + 12345) & 0x7FFFFFFF
        lines = []
        for j in range(1 + rng % 4):
            rng = (rng * 1103515245 + 12345) & 0x7FFFFFFF
            lines.append({"sku": skus[rng % len(skus)], "qty": 1 + rng % 5})
        yield json.dumps({"id": "ORD-%05d" % i, "customer": "c%03d" % (rng % 97), "lines": lines})


def worker(inbox, results, lock):
    while True:
        item = inbox.get()
        if item is None:
            return
        order = pricing.parse_order(item)
        if not pricing.is_valid(order):
            continue
        total = pricing.price(order)
        with lock:
            results.append((order["id"], total))


def main(argv):
    n_orders = int(argv[1]) if len(argv) > 1 else 3000
    n_workers = 3
    print("processing %d orders with %d workers" % (n_orders, n_workers))

    inbox = queue.Queue(maxsize=256)
    results = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=worker, args=(inbox, results, lock), name="pricer-%d" % i)
        for i in range(n_workers)
    ]
    for t in threads:
        t.start()
    started = time.perf_counter()
    for text in make_orders(n_orders):
        inbox.put(text)
    for _ in threads:
        inbox.put(None)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started

    log.info("priced %d of %d orders", len(results), n_orders)

    out_dir = tempfile.mkdtemp(prefix="ftrace-sample-")
    path = os.path.join(out_dir, "report.txt")
    with region("write report"):
        summary = report.write_report(path, results)
    print("priced %d orders in %.3f s" % (len(results), elapsed))
    print("revenue %.2f, largest order %s (%.2f)" % summary)
    print("category tree depth: %d" % catalog.tree_depth())
    os.remove(path)
    os.rmdir(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
