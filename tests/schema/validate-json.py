#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema (2020-12) of docs/schema/.

Usage: validate-json.py SCHEMA FILE... ; exit 0 when every FILE is valid, 1 when
one is not (each error printed with its path), 2 when the schema itself is not a
valid 2020-12 schema or a file is not JSON. Uses python3-jsonschema (Debian 12:
4.10, which implements draft 2020-12; .ci/install installs it).
"""
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, SchemaError) as e:
        print(f"{argv[1]}: not a usable 2020-12 schema: {e}", file=sys.stderr)
        return 2
    validator = Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: not JSON: {e}", file=sys.stderr)
            return 2
        for err in validator.iter_errors(doc):
            bad += 1
            where = "/".join(str(p) for p in err.absolute_path) or "(top)"
            print(f"{path}: {where}: {err.message[:300]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
