"""The pool's shape: queue lists -> worker counts, as resque-pool.yml gives it.

``{"mail": 2, "reports": 1, "critical,high,low": 4}`` from a JSON or YAML file
(``--config``, else env ``RESQUE_POOL_CONFIG``) or from ``RESQUE['POOL']`` (that dict,
or a file's path). As resque-pool: a top-level entry whose value is a mapping is an
environment section; the section named by ``--environment`` (else env ``RACK_ENV``,
``RAILS_ENV`` or ``RESQUE_ENV``) is merged over the top-level lines, and every
section is then dropped. YAML needs PyYAML, which is optional: JSON always works.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import conf, queue
from ..exceptions import DuplicateKeyError, InvalidQueueNameError, PoolConfigError

ENVIRONMENT_VARIABLES = ("RACK_ENV", "RAILS_ENV", "RESQUE_ENV")  # resque-pool's order
CONFIG_VARIABLE = "RESQUE_POOL_CONFIG"
YAML_SUFFIXES = (".yml", ".yaml")


def environment(given: str | None = None) -> str | None:
    """The section to use: ``given``, else the first of RACK_ENV, RAILS_ENV, RESQUE_ENV set."""
    return given or next((os.environ[name] for name in ENVIRONMENT_VARIABLES if os.environ.get(name)), None)


def load(path: str | os.PathLike[str] | None = None, env: str | None = None) -> dict[str, int]:
    """The pool's lines from ``path``, ``RESQUE_POOL_CONFIG`` or ``RESQUE['POOL']``; raises PoolConfigError."""
    source = path or os.environ.get(CONFIG_VARIABLE) or conf.get("POOL")
    if not source:
        raise PoolConfigError(
            "No pool config: give --config FILE (JSON or YAML), env %s, or RESQUE['POOL']." % CONFIG_VARIABLE
        )
    if isinstance(source, Mapping):
        return shape(source, environment(env), "RESQUE['POOL']")
    return load_file(Path(source), environment(env))


def load_file(path: Path, env: str | None) -> dict[str, int]:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise PoolConfigError("Cannot read the pool config %s: %s" % (path, exc)) from exc
    data = parse_yaml(text, path) if path.suffix in YAML_SUFFIXES else parse_json(text, path)
    try:
        return shape(data, env, str(path))
    except PoolConfigError as exc:
        raise PoolConfigError(_with_line(str(exc), text, exc.entry)) from None


def parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as exc:
        raise PoolConfigError("%s, line %d: not valid JSON: %s." % (path, exc.lineno, exc.msg)) from None
    except DuplicateKeyError as exc:
        raise PoolConfigError(_with_line("%s: %r appears twice." % (path, exc.key), text, exc.key)) from None


def parse_yaml(text: str, path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise PoolConfigError(
            "%s is YAML, and PyYAML is not installed: pip install PyYAML, or write the config as JSON." % path
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = ", line %d" % (mark.line + 1) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PoolConfigError("%s%s: not valid YAML: %s." % (path, where, problem)) from None


def shape(data: object, env: str | None, origin: str) -> dict[str, int]:
    """Validated lines ``{"queue,list": count}`` of ``data`` in section ``env``."""
    if not isinstance(data, Mapping):
        raise PoolConfigError("%s must map queue lists to worker counts, got %s." % (origin, type(data).__name__))
    section = data.get(env) if env else None
    merged = {**data, **(section if isinstance(section, Mapping) else {})}
    lines: dict[str, int] = {}
    for key, count in merged.items():
        if isinstance(count, Mapping):
            continue  # another environment's section
        line = queue_line(key, origin)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise PoolConfigError("%s: %r must be a worker count (0 or more), got %r." % (origin, key, count), key)
        if line in lines:
            raise PoolConfigError("%s: %r is the queue list %r twice." % (origin, key, line), key)
        lines[line] = count
    if not lines:
        raise PoolConfigError("%s has no line (queue list: count)%s." % (origin, " for %r" % env if env else ""))
    return lines


def queue_line(key: object, origin: str) -> str:
    """``" critical, high"`` -> ``"critical,high"``; each name by the rule of ``--queues`` (globs allowed)."""
    if not isinstance(key, str):
        raise PoolConfigError("%s: %r is not a queue list (comma-separated names)." % (origin, key), key)
    names = [name.strip() for name in key.split(",")]
    try:
        for name in names:
            queue.check_name(name, globs=True)
    except InvalidQueueNameError as exc:
        raise PoolConfigError("%s: %r is not a queue list: %s" % (origin, key, exc), key) from None
    return ",".join(names)


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(key)
        seen[key] = value
    return seen


def _with_line(message: str, text: str, entry: object) -> str:
    """``message`` with ``(line N)`` where the file first names ``entry`` as a key."""
    if not isinstance(entry, str):
        return message
    forms = ('"%s"' % entry, "'%s'" % entry, "%s:" % entry, json.dumps(entry))  # the last: JSON's escapes
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().lstrip("{,").strip()
        if any(stripped.startswith(form) for form in forms):
            return "%s (line %d)" % (message, number)
    return message
