"""Writes the pricing report and computes a summary."""


def write_report(path, results):
    results = sorted(results)
    with open(path, "w") as f:
        for order_id, total in results:
            f.write("%s\t%.2f\n" % (order_id, total))
    revenue = sum(total for _, total in results)
    biggest = max(results, key=lambda r: r[1]) if results else ("-", 0.0)
    return revenue, biggest[0], biggest[1]
