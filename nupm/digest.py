"""sha256 and md5, from CPython's own implementations where it has them.

hashlib loads OpenSSL's libcrypto, which on a cold page cache costs 14 ms of start-up: more than hashing a
whole package takes. nupm hashes package files, names and small index files, for which CPython's built-in
hashes (the same algorithms, the same digests) are fast enough; hashlib stays the fallback.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # CPython 3.11
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha2 import sha256  # CPython 3.12 and later
    except ImportError:
        from hashlib import sha256

try:
    from _md5 import md5
except ImportError:  # pragma: no cover - depends on the interpreter
    from hashlib import md5

__all__ = ["md5", "sha256"]
