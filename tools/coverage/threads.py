# SPDX-License-Identifier: GPL-2.0
"""tools/coverage's multi-threaded workload: N threads each build,
compress, serialise and parse data, as a Python service would, so that
the process takes anonymous first-touch faults (the heap and glibc's
mmap'd large blocks, freed and mapped again), copy-on-write-free writes,
file faults (the interpreter and its modules) and writer churn (malloc's
mmap/munmap) from several threads at once."""
import json
import sys
import threading
import zlib


def work(i, rounds):
    for r in range(rounds):
        chunks = [bytes([i, r & 0xff]) * 16384 for _ in range(512)]
        blob = b"".join(chunks)
        zlib.compress(blob, 1)
        doc = json.dumps([{"k": j, "v": str(j) * 8} for j in range(40000)])
        json.loads(doc)
        del chunks, blob, doc


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    threads = [threading.Thread(target=work, args=(i, rounds))
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


main()
