"""What SQLite itself sustains for the writes pings make, with nothing in between.

    python3 bench/sqlite_ceiling.py DB_PATH SECONDS BATCH

DB_PATH is a database seeded by `overdue-bench seed`. For SECONDS, in a tight loop: one
`begin immediate` transaction per BATCH pings, each ping to a check picked at random,
doing what the service's writer does for a batch (update the checks' state, insert the
ping rows), with the service's settings (WAL, synchronous=FULL, its checkpoint
threshold). Prints one JSON object. Uses Python's own sqlite3 module, which binds and
steps prepared statements in C, so the loop costs little beside SQLite's work.
"""

import json
import random
import sqlite3
import sys
import time


def main():
    path, seconds, batch = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode = wal",
        "synchronous = full",
        "wal_autocheckpoint = 8192",
        "journal_size_limit = 67108864",
        "cache_size = -32768",
        "foreign_keys = on",
    ):
        db.execute("pragma " + pragma)
    checks = {row[0]: row[1] for row in db.execute("select id, n_pings from checks")}
    ids = list(checks)
    if not ids:
        sys.exit("no checks in " + path)
    before = db.execute("select count(*) from pings").fetchone()[0]
    update = (
        "update checks set status = 'up', last_ping = ?, alert_after = ?, n_pings = ? "
        "where id = ?"
    )
    insert = (
        "insert into pings (check_id, n, created, kind, remote_addr, scheme, method, ua) "
        "values (?, ?, ?, 'success', '127.0.0.1', 'http', 'GET', 'bench')"
    )
    written = 0
    transactions = 0
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline:
        now = int(time.time() * 1000)
        updates, inserts = [], []
        for _ in range(batch):
            check = random.choice(ids)
            checks[check] += 1
            updates.append((now, now + 90_000_000, checks[check], check))
            inserts.append((check, checks[check], now))
        db.execute("begin immediate")
        db.executemany(update, updates)
        db.executemany(insert, inserts)
        db.execute("commit")
        written += batch
        transactions += 1
    elapsed = time.monotonic() - start
    stored = db.execute("select count(*) from pings").fetchone()[0] - before
    print(
        json.dumps(
            {
                "batch": batch,
                "seconds": round(elapsed, 3),
                "transactions": transactions,
                "pings": written,
                "stored": stored,
                "pings_per_s": round(written / elapsed, 1),
                "sqlite_version": sqlite3.sqlite_version,
            }
        )
    )


if __name__ == "__main__":
    main()
