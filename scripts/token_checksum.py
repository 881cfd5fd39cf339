#!/usr/bin/env python3
"""Checks Akua API tokens offline, as a secret scanner would (docs/TOKEN_FORMAT.md).

Usage: python3 scripts/token_checksum.py TOKEN...   (exit 0 when all are well-formed)
       python3 scripts/token_checksum.py --example  (prints a well-formed example)

A well-formed token proves nothing about whether it is live: only the API
knows that. It does tell a real leak from a look-alike string with no store
lookup at all.
"""

import re
import secrets
import sys
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PATTERN = re.compile(r"\bsk_akua_[0-9A-Za-z]{32}\b")


def checksum(body: str) -> str:
    """CRC-32 (zlib's) of `body`, as 6 base62 digits, most significant first."""
    value = zlib.crc32(body.encode("ascii"))
    digits = []
    for _ in range(6):
        digits.append(ALPHABET[value % 62])
        value //= 62
    return "".join(reversed(digits))


def well_formed(token: str) -> bool:
    return bool(PATTERN.fullmatch(token)) and checksum(token[:-6]) == token[-6:]


def example() -> str:
    body = "sk_akua_" + "".join(secrets.choice(ALPHABET) for _ in range(26))
    return body + checksum(body)


def main(args: list[str]) -> int:
    if args == ["--example"]:
        print(example())
        return 0
    bad = [t for t in args if not well_formed(t)]
    for t in bad:
        print(f"not an Akua API token: {t[:12]}…", file=sys.stderr)
    return 1 if bad or not args else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
