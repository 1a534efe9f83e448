"""cProfile on every thread, the reference ftrace is compared with.

`python -m cProfile` profiles only the thread that runs the script, so on a program whose work
happens in worker threads it measures almost nothing (up to 3.11; from 3.12 cProfile uses
sys.monitoring, which sees every thread). ftrace traces every thread; for a fair comparison this
runs the program like `python -m cProfile -o OUT prog.py args` does, but on 3.8-3.11 with one
cProfile.Profile per thread (started by threading.setprofile when the thread starts), all dumped
into OUT at exit.

    python cprofile_all_threads.py OUT prog.py [args...]
"""
import cProfile
import os
import pstats
import runpy
import sys
import threading


def main():
    out = sys.argv[1]
    sys.argv = sys.argv[2:]
    sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
    profiles = []
    lock = threading.Lock()

    def start_in_thread(frame, event, arg):
        prof = cProfile.Profile()
        with lock:
            profiles.append(prof)
        prof.enable()  # replaces this one-shot profile function for the thread

    main_prof = cProfile.Profile()
    profiles.append(main_prof)
    # From 3.12 cProfile runs on sys.monitoring, which is interpreter-wide: the one Profile
    # already sees every thread (and a second one cannot be enabled).
    per_thread = sys.version_info < (3, 12)
    if per_thread:
        threading.setprofile(start_in_thread)
    main_prof.enable()
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        main_prof.disable()
        if per_thread:
            threading.setprofile(None)
        stats = None
        with lock:
            for prof in profiles:
                prof.create_stats()
                if stats is None:
                    stats = pstats.Stats(prof)
                else:
                    stats.add(prof)
        stats.dump_stats(out)


main()
