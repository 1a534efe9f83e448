"""Parsing, validation and pricing of single orders."""
import json
import re

import catalog

_ORDER_ID = re.compile(r"^ORD-\d{5}$")
_CUSTOMER = re.compile(r"^c\d{3}$")


def parse_order(text):
    return json.loads(text)


def is_valid(order):
    if not _ORDER_ID.match(order.get("id", "")):
        return False
    if not _CUSTOMER.match(order.get("customer", "")):
        return False
    return all(line["qty"] > 0 for line in order["lines"])


def line_total(line):
    price = catalog.base_price(line["sku"])
    return price * line["qty"] * discount(catalog.category_of(line["sku"]), line["qty"])


def discount(category, qty):
    if category == "books" and qty >= 3:
        return 0.9
    if qty >= 4:
        return 0.95
    return 1.0


def price(order):
    subtotal = sum(line_total(line) for line in order["lines"])
    return round(subtotal * 1.2, 2)  # with tax
