"""The connector template: a new plugin package, ready to install and to pass the conformance kit.

`new_connector("pebble", into)` writes `into/resonance-pebble/`: a `pyproject.toml` registering the module
in the `resonance.plugins` entry-point group and depending on this SDK only, a README, the module
`resonance_pebble` with a working `PebbleConnector` (its hooks, `check` and a paginated, checkpointed
`fetch` against a made-up JSON API) and `tests/test_pebble_conformance.py`, which runs
`resonance_sdk.testing.ConnectorConformance` on it against recorded answers. The author then replaces the
made-up API with the network's, keeping the tests green.

Run it as `resonance-connector-new NAME [--directory DIR]` (installed with the SDK), or as
`resonance connector new NAME` where the service is installed. The files are in `connector_template/`
next to this module; `{{name}}`, `{{module}}`, `{{class_name}}`, `{{title}}`, `{{host}}` and
`{{sdk_minor}}` in their text and `__name__`/`__module__` in their paths are replaced, and a `.tmpl`
suffix is dropped.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from resonance_sdk import SDK_VERSION

CONNECTOR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
"""What a connector id (and so the template's NAME) may be: lower_snake_case, as the conformance kit checks."""

_TEMPLATE = "connector_template"

__all__ = ["CONNECTOR_NAME", "main", "new_connector", "placeholders"]


def placeholders(name: str) -> dict[str, str]:
    """The values the template's placeholders take for connector `name`."""
    if not CONNECTOR_NAME.fullmatch(name):
        raise ValueError(f"a connector name is lower_snake_case (a letter, then letters, digits or _): {name!r}")
    words = name.split("_")
    major, minor = SDK_VERSION.split(".")[:2]
    return {
        "name": name,
        "module": f"resonance_{name}",
        "class_name": "".join(word.capitalize() for word in words if word) + "Connector",
        "title": " ".join(word.capitalize() for word in words if word),
        "host": name.replace("_", "-"),
        "sdk_minor": f"{major}.{minor}",
    }


def _render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _files(folder: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    """Every file of the template, with its path inside it, in a stable order."""
    found: list[tuple[tuple[str, ...], Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found += _files(entry, (*prefix, entry.name))
        else:
            found.append(((*prefix, entry.name), entry))
    return found


def new_connector(name: str, into: Path) -> Path:
    """Write the package of a new connector called `name` into `into/resonance-<name>`; return that folder.

    Refuses (`FileExistsError`) to write over an existing folder, and (`ValueError`) a name that is not a
    valid connector id.
    """
    values = placeholders(name)
    target = into / f"resonance-{name}"
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose another name or folder")
    for parts, source in _files(resources.files("resonance_sdk") / _TEMPLATE):
        renamed = [part.replace("__module__", values["module"]).replace("__name__", name) for part in parts]
        renamed[-1] = renamed[-1].removesuffix(".tmpl")
        destination = target.joinpath(*renamed)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(_render(source.read_text(encoding="utf-8"), values), encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """`resonance-connector-new NAME [--directory DIR]`: generate a connector package, print its files."""
    parser = argparse.ArgumentParser(
        prog="resonance-connector-new", description="Generate the package of a new Resonance connector."
    )
    parser.add_argument("name", help="the connector id, lower_snake_case (e.g. pebble)")
    parser.add_argument("--directory", type=Path, default=Path.cwd(), help="where to create resonance-NAME/")
    arguments = parser.parse_args(argv)
    try:
        target = new_connector(arguments.name, arguments.directory)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in sorted(target.rglob("*")):
        if path.is_file():
            print(path.relative_to(arguments.directory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
