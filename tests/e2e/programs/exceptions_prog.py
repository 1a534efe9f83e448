"""Exception markers ground truth: every exception this program raises, in the order raised,
as [type, message, function it was raised in, how], written to the JSON file argv[1].

`how` says how it was raised and where it was caught, since what a tracer can see depends
on the interpreter (tests/e2e/test_exceptions.py):
  stmt-here   a `raise` statement, caught in the same function
  op-here     an operator (d[k], 1 // 0), caught in the same function
  type-here   calling a class (int("x")), caught in the same function
  cfunc-here  a built-in function or method (chr, list.pop, math.sqrt), caught in the same function
  thrown-here thrown into a generator by gen.throw(), caught by the generator
  escaped     any of the above, leaving the function it was raised in
Re-raising an exception (bare `raise`, `raise err`, `finally`, `with`) is not a new exception;
StopIteration from exhausted iterators is not recorded."""
import json
import math
import sys

OUT = sys.argv[1]
raised = []


def note(e, function, how):
    raised.append([type(e).__name__, str(e), function, how])


def helper():  # a few calls between catching and re-raising
    return sum(len(str(i)) for i in range(3))


def stmt_here(i):
    try:
        raise ValueError("stmt %d" % i)
    except ValueError as e:
        note(e, "stmt_here", "stmt-here")


def op_here(d, k):
    try:
        return d[k]
    except KeyError as e:
        note(e, "op_here", "op-here")


def zero_here(n):
    try:
        return n // 0
    except ZeroDivisionError as e:
        note(e, "zero_here", "op-here")


def type_here(s):
    try:
        return int(s)
    except ValueError as e:
        note(e, "type_here", "type-here")


def cfunc_here():
    try:
        chr(-1)
    except ValueError as e:
        note(e, "cfunc_here", "cfunc-here")
    try:
        [].pop()
    except IndexError as e:
        note(e, "cfunc_here", "cfunc-here")
    try:
        math.sqrt(-1)
    except ValueError as e:
        note(e, "cfunc_here", "cfunc-here")


def inner_raise(msg):
    raise RuntimeError(msg)


def middle(msg):
    return inner_raise(msg)


def deep(n, msg):
    if n == 0:
        raise LookupError(msg)
    return deep(n - 1, msg)


def op_escapes(d):
    return d["missing"]


def cfunc_escapes():
    return chr(-2)


def cleanup_then_reraise(msg):
    try:
        inner_raise(msg)
    except RuntimeError:
        helper()
        raise


def finally_after(msg):
    try:
        raise LookupError(msg)
    finally:
        helper()


class Ctx:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        helper()
        return False


def with_reraise(msg):
    with Ctx():
        raise TypeError(msg)


def raise_again(msg):
    try:
        raise ValueError(msg)
    except ValueError as e:
        err = e
    helper()
    raise err


def bad_key(x):
    raise KeyError("bad %d" % x)


def sort_badly():
    return sorted([3, 1, 2], key=bad_key)  # raised in a callback of a C function


def wrap(msg):
    try:
        raise ValueError(msg)
    except ValueError as e:
        note(e, "wrap", "stmt-here")
        raise RuntimeError("wrapped " + msg) from e


def catcher(gen):
    try:
        while True:
            yield next(gen)
    except ValueError as e:
        note(e, "catcher", "thrown-here")
        yield -1


def escapes(fn, function, *args):
    try:
        fn(*args)
    except Exception as e:
        note(e, function, "escaped")


def main():
    for i in range(3):
        stmt_here(i)
    for i in range(20):  # a loop of lookups that miss: one marker each where seen
        op_here({}, i)
    zero_here(7)
    type_here("not a number")
    cfunc_here()
    escapes(middle, "inner_raise", "through middle")
    escapes(deep, "deep", 30, "thirty frames down")
    escapes(op_escapes, "op_escapes", {})
    escapes(cfunc_escapes, "cfunc_escapes")
    escapes(cleanup_then_reraise, "inner_raise", "re-raised after cleanup")
    escapes(finally_after, "finally_after", "through finally")
    escapes(with_reraise, "with_reraise", "through with")
    escapes(raise_again, "raise_again", "raised twice")
    escapes(sort_badly, "bad_key")
    try:
        wrap("inner")
    except RuntimeError as e:
        note(e, "wrap", "escaped")
    gen = catcher(iter(range(5)))
    next(gen)
    gen.throw(ValueError("thrown in"))
    gen.close()
    for _ in iter([1, 2]):  # exhaustion: no marker
        pass
    next(iter([]), None)


main()
with open(OUT, "w") as f:
    json.dump({"raised": raised}, f)
