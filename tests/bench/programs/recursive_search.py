"""Recursive search: N-queens by backtracking, plus a memo-free recursive partition count."""
import sys


def safe(cols, row, col):
    for r, c in enumerate(cols):
        if c == col or abs(c - col) == row - r:
            return False
    return True


def place(cols, row, n):
    if row == n:
        return 1
    total = 0
    for col in range(n):
        if safe(cols, row, col):
            cols.append(col)
            total += place(cols, row + 1, n)
            cols.pop()
    return total


def partitions(n, k):
    if n == 0:
        return 1
    if n < 0 or k == 0:
        return 0
    return partitions(n - k, k) + partitions(n, k - 1)


def main(scale):
    n = 7
    print("queens(%d) = %d" % (n, place([], 0, n)))
    m = int(32 + 6 * scale)
    print("partitions(%d) = %d" % (m, partitions(m, m)))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
