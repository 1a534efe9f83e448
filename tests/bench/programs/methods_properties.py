"""Many small methods and properties: an inventory of items with computed attributes."""
import sys


class Money:
    def __init__(self, cents):
        self._cents = cents

    @property
    def cents(self):
        return self._cents

    def add(self, other):
        return Money(self._cents + other.cents)

    def times(self, k):
        return Money(self._cents * k)


class Item:
    def __init__(self, name, price, qty):
        self._name = name
        self._price = Money(price)
        self._qty = qty

    @property
    def name(self):
        return self._name

    @property
    def price(self):
        return self._price

    @property
    def qty(self):
        return self._qty

    @qty.setter
    def qty(self, v):
        self._qty = v

    def value(self):
        return self.price.times(self.qty)

    def is_low(self):
        return self.qty < 5


class Inventory:
    def __init__(self, n):
        self.items = [Item("item%d" % i, 100 + i % 37, i % 11) for i in range(n)]

    def total(self):
        t = Money(0)
        for it in self.items:
            t = t.add(it.value())
        return t

    def restock(self):
        for it in self.items:
            if it.is_low():
                it.qty = it.qty + 10
            else:
                it.qty = it.qty - 1


def main(scale):
    inv = Inventory(2000)
    t = 0
    for _ in range(int(10 * scale)):
        inv.restock()
        t += inv.total().cents
    print("total %d" % t)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
