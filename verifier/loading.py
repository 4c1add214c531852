"""Load a mechanism from the name a person types.

A target is one of:

- a catalogue name, such as ``mechanism-1``;
- ``path/to/file.py:function``, a function (or Mechanism, or Entry) in a
  Python file, which is imported by its path;
- ``package.module:function``, the same in an importable module; the
  working directory is searched too, after ``sys.path``, as under
  ``python -m``.

A plain function is wrapped with :func:`verifier.mechanism.plain`, so it is
checked as a black box on exact numbers; a Mechanism or an Entry found at
the name is used as it is.
"""

import contextlib
import difflib
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback

import mechanisms

from .entry import Entry
from .errors import InvalidArgument, MechanismError, UnknownMechanism
from .mechanism import Mechanism, exit_call, plain

#: Modules imported from a file by path are named with this prefix.
FILE_MODULE_PREFIX = "_dsic_file_"


def load_target(text, base=None):
    """The mechanism named by ``text``, and its catalogue Entry or None.

    ``base`` is a folder where a relative file path is also looked for
    (the folder of a certificate), after the working directory.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgument(
            f"mechanism target {text!r}: give a catalogue name, "
            f"path/to/file.py:function or package.module:function")
    text = text.strip()
    where, colon, name = text.rpartition(":")
    if not colon:
        return _from_catalogue(text)
    if not where or not name:
        raise InvalidArgument(
            f"mechanism target {text!r}: write the file or module before "
            f"the colon and the function after it, e.g. my_rules.py:auction")
    if _is_path(where):
        module = import_file(where, base)
    else:
        module = _import_module(where)
    return _as_mechanism(_attribute(module, name, text), text)


def _is_path(where):
    """A file path, not a dotted module name: it ends in .py, has a
    separator, names a file, or could not be a module's name."""
    dotted = all(part.isidentifier() for part in where.split("."))
    return (where.endswith(".py") or "/" in where or os.sep in where
            or os.path.isfile(where) or not dotted)


# ------------------------------------------------------------ catalogue

def _from_catalogue(text):
    if text.endswith(".py"):
        raise InvalidArgument(
            f"mechanism target {text!r} names a file but no function: write "
            f"{text}:function")
    try:
        entry = mechanisms.get(text)
    except UnknownMechanism as error:
        if "." not in text:
            raise
        raise UnknownMechanism(
            f"{error}; for a function in a module write "
            f"package.module:function") from None
    return entry.mechanism, entry


# ---------------------------------------------------------------- files

def import_file(path, base=None):
    """Import the Python file at ``path`` as a fresh module.

    The module gets a name of its own, derived from the file's absolute
    path, so two files called ``rules.py`` do not collide. The file's
    folder is on ``sys.path`` only while the file runs, so it may import
    its neighbours.
    """
    found = _find_file(path, base)
    name = _module_name(found)
    spec = importlib.util.spec_from_file_location(name, found)
    if spec is None:
        raise InvalidArgument(
            f"{path!r} is not a Python file: give the path of a .py file, "
            f"e.g. my_rules.py:auction")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = os.path.dirname(found)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SystemExit as error:
        del sys.modules[name]
        raise MechanismError(
            f"importing {path} called {_where_exited(error, found)}: put "
            f"the script part of the file under "
            f"`if __name__ == \"__main__\":`") from error
    except Exception as error:
        del sys.modules[name]
        raise MechanismError(
            f"importing {path} raised {_where_raised(error, found)}: fix "
            f"the file so that `python {path}` runs") from error
    finally:
        sys.path.remove(folder)
    return module


def _find_file(path, base):
    candidates = [path]
    if base is not None and not os.path.isabs(path):
        candidates.append(os.path.join(base, path))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    for candidate in candidates:
        if os.path.isdir(candidate):
            raise InvalidArgument(
                f"{path!r} is a folder, not a Python file: give "
                f"path/to/file.py:function")
    folders = [] if os.path.isabs(path) else [os.getcwd()] + (
        [os.path.abspath(base)] if base is not None else [])
    said = f" in {' or '.join(map(repr, folders))}" if folders else ""
    raise UnknownMechanism(
        f"no file {path!r}{said}: give the path of a Python file, relative "
        f"to the working directory or absolute")


def _module_name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = "".join(c if c.isalnum() else "_" for c in stem)
    digest = hashlib.sha256(path.encode()).hexdigest()[:12]
    return f"{FILE_MODULE_PREFIX}{stem}_{digest}"


def _where_exited(error, path):
    """``sys.exit(3) at line n`` for a SystemExit raised by the file."""
    lines = [frame.lineno for frame in traceback.extract_tb(
        error.__traceback__) if os.path.abspath(frame.filename) == path]
    what = exit_call(error)
    return f"{what} at line {lines[-1]}" if lines else what


def _where_raised(error, path):
    """``Kind: message at line n`` for an error raised by the file."""
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg} at line {error.lineno}"
    lines = [frame.lineno for frame in traceback.extract_tb(
        error.__traceback__) if os.path.abspath(frame.filename) == path]
    return f"{what} at line {lines[-1]}" if lines else what


# -------------------------------------------------------------- modules

def _import_module(dotted):
    try:
        with _working_directory_on_path():
            return importlib.import_module(dotted)
    except ModuleNotFoundError as error:
        if error.name == dotted or dotted.startswith(f"{error.name}."):
            raise UnknownMechanism(
                f"no module {dotted!r} (Python found no {error.name!r}): "
                f"check the spelling, or give a file as "
                f"path/to/file.py:function") from None
        raise MechanismError(
            f"importing {dotted} raised {_module_raised(error)}: install or "
            f"fix what it imports") from error
    except SystemExit as error:
        raise MechanismError(
            f"importing {dotted} called {exit_call(error)}: put the script "
            f"part of the module under `if __name__ == \"__main__\":`"
        ) from error
    except Exception as error:
        raise MechanismError(
            f"importing {dotted} raised {_module_raised(error)}: fix the "
            f"module so that `python -c 'import {dotted}'` runs") from error


@contextlib.contextmanager
def _working_directory_on_path():
    """Modules in the working directory can be imported, as under
    ``python -m``, for as long as this lasts; it is looked in last."""
    here = os.getcwd()
    if here in sys.path or "" in sys.path:
        yield
        return
    sys.path.append(here)
    try:
        yield
    finally:
        sys.path.remove(here)


def _module_raised(error):
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError):
        return (f"{type(error).__name__}: {error.msg} at line "
                f"{error.lineno} of {error.filename}")
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        return f"{what} at line {last.lineno} of {last.filename}"
    return what


# ------------------------------------------------------- the named object

def _attribute(module, name, text):
    """The object called ``name`` (dots allowed) in ``module``."""
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise UnknownMechanism(_missing(module, name, text))
        obj = getattr(obj, part)
    return obj


def _missing(module, name, text):
    where = text.rpartition(":")[0]
    found = candidates(module)
    close = difflib.get_close_matches(name, found, n=1, cutoff=0.5)
    hint = f"did you mean {where}:{close[0]}? " if close else ""
    listing = ", ".join(found) if found else "none"
    return (f"{where} has no {name!r}: {hint}its functions and "
            f"mechanisms: {listing}")


def candidates(module):
    """Public names in ``module`` that could be a mechanism: functions and
    classes defined there, and Mechanism or Entry objects."""
    names = []
    for key, obj in vars(module).items():
        if key.startswith("_") or inspect.ismodule(obj):
            continue
        if isinstance(obj, (Mechanism, Entry)):
            names.append(key)
        elif callable(obj) and getattr(obj, "__module__",
                                       None) == module.__name__:
            names.append(key)
    return sorted(names)


def _as_mechanism(obj, text):
    if isinstance(obj, Entry):
        return obj.mechanism, obj
    if isinstance(obj, Mechanism):
        return obj, None
    if not callable(obj):
        raise MechanismError(
            f"{text} is {_short(obj)} of type {type(obj).__name__}, not "
            f"callable: name a function taking a profile, a Mechanism or "
            f"an Entry")
    _check_signature(obj, text)
    return plain(obj), None


def _check_signature(rule, text):
    """Refuse a callable that cannot be called as ``rule(profile)``."""
    try:
        signature = inspect.signature(rule)
    except (TypeError, ValueError):
        return  # no signature to read (some builtins): try it as it is
    try:
        signature.bind(None)
    except TypeError as error:
        raise MechanismError(
            f"{text} has signature {signature}, which cannot be called with "
            f"one positional profile ({error}): a mechanism takes exactly "
            f"one argument, the profile; give the other parameters "
            f"defaults") from None


def _short(obj):
    text = repr(obj)
    return text if len(text) < 50 else text[:47] + "..."
