"""A check's options, checked where they are written.

`ValueCheck("z", var="z", fom="number")` or `points="1"` in a checks.py is the course's
mistake, and the teacher should learn it when the exercise loads (`build`, `verify`, the
first grading), as one line naming the file, the line and the option, never as a crash when
the first submission is judged or as a traceback through the grader.

The types come from the constructor's own annotations and are checked by pydantic's
`validate_call` in strict mode (no "1" taken for 1): one definition of each option, read by
the code and by this check alike. Names are not coerced: what the teacher wrote is what the
check keeps.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from pathlib import Path
from typing import NoReturn

from pydantic import ConfigDict, ValidationError, validate_call

JUDGE_DIR = Path(__file__).resolve().parent
_STRICT = ConfigDict(arbitrary_types_allowed=True, strict=True)


class CheckOptionError(ValueError):
    """A check written with an unknown option or an option of the wrong type."""


def checked_options(init):
    """Decorate a check class's `__init__` (or a dataclass's) so that its options are
    validated against its annotations when the check is written; the error names the file
    and line that wrote it."""
    validated = validate_call(config=_STRICT)(init)
    signature = inspect.signature(init)
    types = {name: _type_text(p.annotation) for name, p in signature.parameters.items() if name != "self"}

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        try:
            validated(self, *args, **kwargs)
        except ValidationError as exc:
            raise CheckOptionError(_message(type(self).__name__, args, kwargs, exc, types)) from None

    return __init__


def with_checked_options(cls):
    """A dataclass whose generated `__init__` checks its options (written above `@dataclass`)."""
    setattr(cls, "__init__", checked_options(cls.__init__))  # setattr: assigning a method is what this does
    return cls


def refuse(what: str, problem: str) -> NoReturn:
    """Raise the error of an option whose type is right and whose value is not (an unknown
    form), naming where the check was written."""
    raise CheckOptionError(f"{_where()}{what}: {problem}")


def _type_text(annotation) -> str:
    if annotation is inspect.Parameter.empty:
        return "anything"
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def _message(cls: str, args: tuple, kwargs: dict, exc: ValidationError, types: dict[str, str]) -> str:
    parameters = list(types)
    name = args[0] if args and isinstance(args[0], str) else kwargs.get("name")
    what = f"{cls} {name!r}" if isinstance(name, str) else cls
    problems = []
    for error in exc.errors():
        option = str(error["loc"][0]) if error["loc"] else "?"
        if option.isdigit():  # a positional argument (0 is self): its parameter's name
            position = int(option) - 1
            option = parameters[position] if position < len(parameters) else f"argument {position + 1}"
        if error["type"] == "unexpected_keyword_argument":
            close = difflib.get_close_matches(option, parameters, n=1)
            problems.append(f"unknown option {option!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                            + f"; the options of {cls} are {', '.join(parameters)}")
        elif error["type"] == "unexpected_positional_argument":
            problems.append(f"too many positional arguments; write the options by name ({', '.join(parameters)})")
        elif error["type"].startswith("missing_"):  # missing_argument, missing_keyword_only_argument
            problems.append(f"option {option!r} is missing")
        else:
            value = kwargs[option] if option in kwargs else error.get("input")
            problems.append(f"option {option}= should be {types.get(option, '?')}, got {_short(value)} "
                            f"({type(value).__name__})")
    return f"{_where()}{what}: " + "; ".join(dict.fromkeys(problems))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where() -> str:
    """'file:line: ' of the code that wrote the check: the first frame outside the judge and
    the libraries it calls through (a checks.py, a course's helper module)."""
    frame = inspect.currentframe()
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.parent != JUDGE_DIR and "pydantic" not in path.parts and path.name != "functools.py" \
                and not path.name.startswith("<frozen"):
            return f"{path}:{frame.f_lineno}: "
        frame = frame.f_back
    return ""
