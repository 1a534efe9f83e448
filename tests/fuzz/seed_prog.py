"""Small program whose trace seeds the fuzz corpus (see make_corpus.py): two threads, a few
chunks, Python and C calls."""
import threading, sys
import ftrace  # already loaded by the bootstrap under `ftrace record`
def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)
def worker(k):
    for i in range(3):
        sorted(range(k, 0, -1)); fib(6 + i)
        ftrace.flush()  # one chunk per step: a multi-chunk seed
threading.Thread(target=worker, args=(20,), name="worker").start()
