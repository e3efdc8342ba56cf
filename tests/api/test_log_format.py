"""Logs: JSON lines for collectors without uvicorn's colour codes in them, readable lines in a terminal, and the
choice made by RESONANCE_LOG_FORMAT (auto: by whether stderr is a terminal)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from api.observability import ConsoleFormatter, JsonFormatter, configure_logging
from tenants.settings import Settings, SettingsError


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "uvicorn.error", "levelname": "INFO", "msg": "Started server process [%d]"})
    record.args = (42,)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_extra_fields_but_no_colour_codes() -> None:
    line = JsonFormatter().format(_record(color_message="Started server process [\x1b[36m%d\x1b[0m]", status=200))
    entry = json.loads(line)

    assert entry["message"] == "Started server process [42]"
    assert entry["status"] == 200
    assert "color_message" not in entry
    assert "\x1b" not in line


def test_a_console_line_reads_as_a_sentence_with_its_fields() -> None:
    line = ConsoleFormatter().format(_record(request_id="abc", status=200, color_message="\x1b[36m"))

    assert "info    uvicorn.error: Started server process [42]" in line
    assert line.endswith("request_id=abc status=200")
    assert "\x1b" not in line
    assert "{" not in line


@pytest.mark.parametrize(
    ("log_format", "tty", "expected"),
    [
        ("auto", True, ConsoleFormatter),
        ("auto", False, JsonFormatter),
        ("json", True, JsonFormatter),
        ("console", False, ConsoleFormatter),
    ],
)
def test_the_format_follows_the_setting_and_the_terminal(
    monkeypatch: pytest.MonkeyPatch, log_format: str, tty: bool, expected: type
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(stream, "isatty", lambda: tty)
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", log_format)
        [handler] = root.handlers
        assert isinstance(handler.formatter, expected)
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


def test_an_unknown_log_format_is_refused_with_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_LOG_FORMAT", "yaml")
    with pytest.raises(SettingsError, match="RESONANCE_LOG_FORMAT must be auto, json or console, got 'yaml'"):
        Settings().validate()
