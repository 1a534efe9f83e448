"""Product catalog: SKUs, base prices and a category tree."""

_PRICES = {
    "BK-%03d" % i: round(4.5 + (i * 37 % 200) / 7.0, 2) for i in range(60)
}
_PRICES.update({"EL-%03d" % i: round(19.0 + (i * 53 % 500) / 3.0, 2) for i in range(40)})

_TREE = {
    "all": ["books", "electronics"],
    "books": ["fiction", "science"],
    "fiction": ["crime", "fantasy"],
    "science": ["physics", "biology"],
    "electronics": ["audio", "computers"],
    "computers": ["laptops", "parts"],
    "parts": ["memory", "storage"],
}


def all_skus():
    return sorted(_PRICES)


def base_price(sku):
    return _PRICES[sku]


def category_of(sku):
    return "books" if sku.startswith("BK") else "electronics"


def tree_depth(node="all"):
    """Recursive walk of the category tree."""
    children = _TREE.get(node, [])
    if not children:
        return 1
    return 1 + max(tree_depth(c) for c in children)
