"""Numeric loops: a small Mandelbrot and a numerical integration, with helper functions and
math calls in the inner loops."""
import math
import sys


def escape(cr, ci, limit):
    zr = zi = 0.0
    for i in range(limit):
        zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
        if zr * zr + zi * zi > 4.0:
            return i
    return limit


def mandel(w, h, limit):
    total = 0
    for y in range(h):
        ci = -1.2 + 2.4 * y / h
        for x in range(w):
            total += escape(-2.0 + 3.0 * x / w, ci, limit)
    return total


def f(x):
    return math.sin(x) * math.exp(-x / 5.0) + math.sqrt(x + 1.0)


def integrate(a, b, n):
    h = (b - a) / n
    s = 0.5 * (f(a) + f(b))
    for i in range(1, n):
        s += f(a + i * h)
    return s * h


def main(scale):
    print("mandel %d" % mandel(int(30 * scale), 30, 60))
    print("integral %.9f" % integrate(0.0, 10.0, int(25000 * scale)))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
