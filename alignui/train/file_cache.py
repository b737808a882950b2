"""Parsed files kept until the file changes: the Train tab asks for the same run files every 2 s.

An entry is keyed by the path and the parser, and is valid while the file's inode, size and
modification time stay the same (each rewrite of a run file changes at least one of them).
"""

import threading
from collections import OrderedDict
from pathlib import Path

#: Parsed files kept at once (a few per watched job).
CACHE_SIZE = 64

_entries: OrderedDict = OrderedDict()
_lock = threading.Lock()


def stamp(path) -> tuple | None:
    """What changes when the file does: inode, size, modification time (None if it is missing)."""
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def parsed(path, parse):
    """`parse(path)`, from the cache while the file is unchanged; FileNotFoundError if it is gone."""
    return derived((path,), lambda: parse(Path(path)), key=parse)


def derived(paths, compute, key):
    """`compute()`, from the cache while none of `paths` has changed since it was computed."""
    stamps = tuple(stamp(path) for path in paths)
    if len(paths) == 1 and stamps[0] is None:
        raise FileNotFoundError(paths[0])
    key = (tuple(str(path) for path in paths), key)
    with _lock:
        found = _entries.get(key)
        if found and found[0] == stamps:
            _entries.move_to_end(key)
            return found[1]
    value = compute()
    with _lock:
        _entries[key] = (stamps, value)
        _entries.move_to_end(key)
        while len(_entries) > CACHE_SIZE:
            _entries.popitem(last=False)
    return value
