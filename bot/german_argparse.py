"""argparse in German: the frame of help and usage, and argparse's own error messages.

argparse writes its frame ("usage:", "options:", "error: …") in English. ``GermanArgumentParser`` sets German
section headings, its own German ``-h/--help``, the prefix „Aufruf:“ and prints errors as „Fehler: …“ after
translating argparse's known message templates (an unknown one passes through unchanged). Subparsers made with
``add_subparsers().add_parser`` are of the same class, so they speak German too.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

USAGE_PREFIX = "Aufruf: "
POSITIONALS_TITLE = "Argumente"
OPTIONALS_TITLE = "Optionen"
HELP_HELP = "diese Hilfe zeigen und beenden"

_QUOTED = re.compile(r"'([^']*)'")


def _quote(text: str) -> str:
    """Python's repr quotes ('x') as German quotation marks („x“)."""
    return _QUOTED.sub(lambda m: f"„{m[1]}“", text)


def _plain(choices: str) -> str:
    """"'draft', 'doctor'" -> "draft, doctor"."""
    return _QUOTED.sub(lambda m: m[1], choices)


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text + r"\Z", re.DOTALL)


# argparse's messages (Python 3.11–3.13) as they reach ``error()``, formatted, and their German versions.
_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (_pattern(r"unrecognized arguments: (?P<args>.*)"), lambda m: f"unbekannte Argumente: {m['args']}"),
    (_pattern(r"the following arguments are required: (?P<args>.*)"), lambda m: f"es fehlt: {m['args']}"),
    (_pattern(r"one of the arguments (?P<args>.*) is required"),
     lambda m: f"eines dieser Argumente ist nötig: {m['args']}"),
    (_pattern(r"expected one argument"), lambda m: "erwartet einen Wert"),
    (_pattern(r"expected at most one argument"), lambda m: "erwartet höchstens einen Wert"),
    (_pattern(r"expected at least one argument"), lambda m: "erwartet mindestens einen Wert"),
    (_pattern(r"expected (?P<n>\d+) arguments?"), lambda m: f"erwartet {m['n']} Werte"),
    (_pattern(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)"),
     lambda m: f"mehrdeutige Option {m['option']}: passt zu {m['matches']}"),
    (_pattern(r"not allowed with argument (?P<other>.*)"), lambda m: f"nicht zusammen mit {m['other']} erlaubt"),
    (_pattern(r"ignored explicit argument (?P<value>.*)"),
     lambda m: f"nimmt keinen Wert an (angegeben: {_quote(m['value'])})"),
    (_pattern(r"invalid int value: (?P<value>.*)"), lambda m: f"{_quote(m['value'])} ist keine ganze Zahl"),
    (_pattern(r"invalid float value: (?P<value>.*)"), lambda m: f"{_quote(m['value'])} ist keine Zahl"),
    (_pattern(r"invalid \S+ value: (?P<value>.*)"), lambda m: f"ungültiger Wert {_quote(m['value'])}"),
    (_pattern(r"invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)"),
     lambda m: f"ungültige Wahl {_quote(m['value'])} (möglich: {_plain(m['choices'])})"),
    (_pattern(r"unknown parser (?P<value>.*?) \(choices: (?P<choices>.*)\)"),
     lambda m: f"unbekannter Befehl {_quote(m['value'])} (möglich: {_plain(m['choices'])})"),
    (_pattern(r"unexpected option string: (?P<option>.*)"), lambda m: f"unerwartete Option {m['option']}"),
    (_pattern(r"can't open '(?P<file>.*)': (?P<error>.*)"),
     lambda m: f"„{m['file']}“ lässt sich nicht öffnen: {m['error']}"),
]
_ARGUMENT = _pattern(r"argument (?P<name>.+?): (?P<message>.*)")


def translate(message: str) -> str:
    """argparse's English error message in German; a message it does not know stays as it is."""
    argument = _ARGUMENT.match(message)
    if argument:
        return f"{argument['name']}: {translate(argument['message'])}"
    for pattern, german in _MESSAGES:
        match = pattern.match(message)
        if match:
            return german(match)
    return message


class GermanHelpFormatter(argparse.HelpFormatter):
    """Usage lines start with „Aufruf:“; help texts start a little further right, so command names fit."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 30,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, USAGE_PREFIX if prefix is None else prefix)


class GermanArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help, usage and errors are German; errors exit 2 with „Fehler: …“ on stderr."""

    def __init__(self, *args: Any, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", GermanHelpFormatter)
        kwargs["add_help"] = False  # our own -h with a German help text follows
        super().__init__(*args, **kwargs)
        self._positionals.title = POSITIONALS_TITLE
        self._optionals.title = OPTIONALS_TITLE
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP_HELP)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"Fehler: {translate(message)}\n")
