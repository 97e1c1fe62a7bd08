#!/usr/bin/env python3
"""Count test cases in a Meson testlog.json: each TAP line of a TAP test is one
case, any other test is one case. Prints "PASSED FAILED"."""
import json
import re
import sys

passed = failed = 0
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        tap_ok = len(re.findall(r"^ok \d+", t.get("stdout") or "", re.M))
        tap_bad = len(re.findall(r"^not ok \d+", t.get("stdout") or "", re.M))
        if tap_ok or tap_bad:
            passed += tap_ok
            failed += tap_bad
            if not ok and not tap_bad:
                failed += 1  # crashed or timed out after its last TAP line
        elif ok:
            passed += 1
        else:
            failed += 1
print(passed, failed)
