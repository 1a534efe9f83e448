"""Generator pipeline: numbers flow through chained generators (filter, map, window, group)."""
import sys


def source(n):
    for i in range(n):
        yield (i * 7919) % 10007


def evens(it):
    for x in it:
        if x % 2 == 0:
            yield x


def squares(it):
    for x in it:
        yield x * x % 65537


def windows(it, size):
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) == size:
            yield tuple(buf)
            buf = []


def summarize(it):
    for w in it:
        yield max(w) - min(w)


def main(scale):
    n = int(120000 * scale)
    total = 0
    count = 0
    for d in summarize(windows(squares(evens(source(n))), 5)):
        total += d
        count += 1
    print("windows %d total %d" % (count, total))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
