#!/usr/bin/env python3
"""Deterministic contact records as JSON lines: realistic fields, some unicode, ~1% malformed.

Usage: gen_contacts.py ROWS [--clean] > file.jsonl     (--clean: no malformed lines)
"""
import json
import random
import sys

FIRST = ["Jane", "Zoë", "Omar", "Priya", "Lars", "Mei", "Kwame", "Sofia", "Tomás", "Aiko", "Liam", "Fatima",
         "Noah", "Chloé", "Diego", "Ingrid", "Ravi", "Hana", "Mateo", "Amara", "Jonas", "Yusuf", "Elif", "Marta"]
LAST = ["Doe", "Ñúñez", "Haddad", "Sharma", "Eriksson", "Chen", "Mensah", "Rossi", "García", "Tanaka", "O'Brien",
        "Khan", "Müller", "Dubois", "Silva", "Nilsen", "Patel", "Kim", "López", "Okafor", "Schmidt", "Yılmaz"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent"]
EVENTS = ["Spring Summit 2026", "Founders Dinner", "Demo Day", "Community Meetup #12"]


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    clean = "--clean" in sys.argv[2:]
    rng = random.Random(20261122)
    out = sys.stdout
    buf = []
    for i in range(rows):
        if rng.random() < 0.01 and not clean:
            buf.append('{"first_name": "Broken", "email": "x@y.z", ' + ("" if rng.random() < 0.5 else '"id": 00') + "\n")
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            record = {
                "id": 100000000000000000 + i,
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{i}@example.com".lower().replace("'", ""),
                "company": rng.choice(COMPANIES),
                "title": rng.choice(["Engineer", "Founder", "Designer", "PM", "Investor"]),
                "consent": "yes" if rng.random() < 0.8 else "no",
                "event": rng.choice(EVENTS),
                "score": round(rng.random() * 100, 2),
            }
            buf.append(json.dumps(record, ensure_ascii=False) + "\n")
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


if __name__ == "__main__":
    main()
