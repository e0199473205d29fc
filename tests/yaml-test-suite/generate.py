"""Regenerate cases.json from a clone of https://github.com/yaml/yaml-test-suite:

    git clone https://github.com/yaml/yaml-test-suite -b data-2022-01-17 suite
    python tests/yaml-test-suite/generate.py suite > tests/yaml-test-suite/cases.json

Each case of the release's data: its id (with the number of a sub-test), its name, the
YAML text, the JSON text it must load as (absent for some valid cases), and whether
the YAML is invalid (an `error` file). Nothing else of the suite is kept.
"""

import json
import sys
from pathlib import Path


def cases(root: Path):
    # Only the id folders (and their numbered sub-tests): `name/` and `tags/` link to the same cases.
    found = [*root.glob("????/in.yaml"), *root.glob("????/[0-9][0-9]/in.yaml"), *root.glob("????/[0-9][0-9][0-9]/in.yaml")]
    for folder in sorted(p.parent for p in found if p.parts[len(root.parts)] not in ("name", "tags")):
        def read(name):
            path = folder / name
            return path.read_bytes().decode("utf-8") if path.is_file() else None

        yield {"id": str(folder.relative_to(root)), "name": read("===").strip(), "yaml": read("in.yaml"),
               "json": read("in.json"), "error": (folder / "error").is_file()}


if __name__ == "__main__":
    root = Path(sys.argv[1])
    found = list(cases(root))
    json.dump({"source": "https://github.com/yaml/yaml-test-suite", "release": "data-2022-01-17",
               "license": "MIT (LICENSE in this folder)", "cases": found}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
