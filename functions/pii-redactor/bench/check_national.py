#!/usr/bin/env python3
"""Checks the corpus generator's national phone numbers against libphonenumber (by hand).

    gen_corpus --national 20000 7 | python3 bench/check_national.py

Needs `pip install phonenumbers` (the Python port of libphonenumber). Prints, per region, how
many generated numbers libphonenumber parses as valid for that region, and a few that are not:
the generator should write real numbers, not digit soup that merely passes our own table.
"""
import collections
import sys

import phonenumbers

total = collections.Counter()
valid = collections.Counter()
bad = collections.defaultdict(list)
for line in sys.stdin:
    region, number = line.rstrip("\n").split("\t")
    total[region] += 1
    try:
        ok = phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        ok = False
    if ok:
        valid[region] += 1
    elif len(bad[region]) < 3:
        bad[region].append(number)
print(f"libphonenumber {phonenumbers.__version__}")
for region in sorted(total):
    print(f"{region}: {valid[region]}/{total[region]} valid ({valid[region] / total[region]:.3f})"
          f"  e.g. not: {bad[region]}")
