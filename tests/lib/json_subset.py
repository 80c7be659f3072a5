#!/usr/bin/python3
"""json_subset.py EXPECTED.json ACTUAL.json - exit 0 when EXPECTED is a subset.

Objects: every key of EXPECTED must match in ACTUAL. Lists: every element of
EXPECTED must match some element of ACTUAL; a list under the key "=" ...
is not used. Strings starting with "~" are regular expressions (re.search);
"!absent" as a value means the key must not be there. Prints the first
mismatch with its path.
"""
import json, re, sys

def match(exp, act, path):
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            return f"{path}: expected an object, got {type(act).__name__}"
        for k, v in exp.items():
            if v == "!absent":
                if k in act:
                    return f"{path}.{k}: should be absent"
                continue
            if k not in act:
                return f"{path}.{k}: missing"
            err = match(v, act[k], f"{path}.{k}")
            if err:
                return err
        return None
    if isinstance(exp, list):
        if not isinstance(act, list):
            return f"{path}: expected a list"
        if len(exp) == 0 and len(act) != 0:
            return f"{path}: expected an empty list, got {len(act)} items"
        for i, e in enumerate(exp):
            if not any(match(e, a, f"{path}[{i}]") is None for a in act):
                errs = [match(e, a, f"{path}[{i}]") for a in act]
                return errs[0] if errs else f"{path}[{i}]: no element in an empty list"
        return None
    if isinstance(exp, str) and exp.startswith("~"):
        if not isinstance(act, str) or not re.search(exp[1:], act, re.S):
            return f"{path}: {act!r} does not match /{exp[1:]}/"
        return None
    if exp != act:
        return f"{path}: expected {exp!r}, got {act!r}"
    return None

exp = json.load(open(sys.argv[1]))
act = json.load(open(sys.argv[2]))
err = match(exp, act, "$")
if err:
    print(err)
    sys.exit(1)
