"""Loading a mechanism from a catalogue name, a file or a module."""

import sys
import textwrap
from fractions import Fraction

import pytest

from mechanisms import CATALOGUE
from verifier.errors import InvalidArgument, MechanismError, UnknownMechanism
from verifier.loading import load_target
from verifier.model import Shape

FIRST_PRICE = """\
def first_price(profile):
    \"\"\"The highest bid wins and pays its bid; ties to the first.\"\"\"
    bids = [group[0] for group in profile]
    winner = bids.index(max(bids))
    access = [[j == winner] for j in range(len(bids))]
    payments = [[bids[j] if j == winner else 0] for j in range(len(bids))]
    return access, payments
"""


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


# ------------------------------------------------------------- catalogue

def test_a_catalogue_name_gives_its_mechanism_and_entry():
    mechanism, entry = load_target("mechanism-1")

    assert entry is CATALOGUE["mechanism-1"]
    assert mechanism is entry.mechanism


def test_a_misspelt_catalogue_name_suggests_the_closest():
    with pytest.raises(UnknownMechanism, match="did you mean vickrey"):
        load_target("vickery")


def test_a_dotted_name_without_a_colon_shows_the_module_form():
    with pytest.raises(UnknownMechanism, match="package.module:function"):
        load_target("mechanisms.two_level")


def test_a_file_without_a_function_asks_for_one():
    with pytest.raises(InvalidArgument, match=r"rules\.py:function"):
        load_target("rules.py")


def test_an_empty_function_name_is_refused():
    with pytest.raises(InvalidArgument, match="after it"):
        load_target("rules.py:")


# ---------------------------------------------------------------- files

def test_a_function_in_a_file_of_its_own_runs_as_plain_code(tmp_path):
    path = write(tmp_path, "auction.py", FIRST_PRICE)

    mechanism, entry = load_target(f"{path}:first_price")
    out = mechanism.outcome(Shape((1, 1)), [[3], [1]])

    assert entry is None
    assert mechanism.plain and mechanism.name == "first_price"
    assert out.payments == ((Fraction(3),), (Fraction(0),))


def test_loading_a_file_leaves_sys_path_as_it_was(tmp_path):
    write(tmp_path, "helper.py", "RATE = 2\n")
    path = write(tmp_path, "uses_helper.py", """\
        from helper import RATE

        def double(profile):
            return [[True] for _ in profile], [[RATE] for _ in profile]
        """)
    before = list(sys.path)

    mechanism, _ = load_target(f"{path}:double")

    assert sys.path == before
    out = mechanism.outcome(Shape((1,)), [[1]])
    assert out.payments == ((Fraction(2),),)


def test_two_files_of_the_same_name_do_not_collide(tmp_path):
    for folder, price in (("a", 1), ("b", 2)):
        (tmp_path / folder).mkdir()
        write(tmp_path / folder, "rules.py", f"""\
            def rule(profile):
                return [[True]], [[{price}]]
            """)

    first, _ = load_target(f"{tmp_path / 'a' / 'rules.py'}:rule")
    second, _ = load_target(f"{tmp_path / 'b' / 'rules.py'}:rule")

    shape = Shape((1,))
    assert first.outcome(shape, [[5]]).payments == ((1,),)
    assert second.outcome(shape, [[5]]).payments == ((2,),)


def test_a_relative_path_is_also_looked_for_in_the_base_folder(tmp_path):
    write(tmp_path, "auction.py", FIRST_PRICE)

    mechanism, _ = load_target("auction.py:first_price", base=str(tmp_path))

    assert mechanism.name == "first_price"


def test_a_mechanism_object_in_a_file_is_used_as_it_is(tmp_path):
    path = write(tmp_path, "composed.py", """\
        from mechanisms.aggregation import highest_bid
        from mechanisms.cost_sharing import even_split
        from mechanisms.upper import second_price
        from verifier.mechanism import compose

        AUCTION = compose("my-vickrey", highest_bid, second_price,
                          even_split)
        """)

    mechanism, entry = load_target(f"{path}:AUCTION")

    assert entry is None
    assert mechanism.name == "my-vickrey" and not mechanism.plain


def test_an_entry_in_a_file_comes_back_with_its_mechanism(tmp_path):
    path = write(tmp_path, "listed.py", """\
        from mechanisms import CATALOGUE

        MINE = CATALOGUE["first-price"]
        """)

    mechanism, entry = load_target(f"{path}:MINE")

    assert entry.name == "first-price" and mechanism is entry.mechanism


# --------------------------------------------------------------- modules

def test_a_function_in_a_module_is_found_by_its_dotted_name(tmp_path,
                                                            monkeypatch):
    package = tmp_path / "house_rules"
    package.mkdir()
    write(package, "__init__.py", "")
    write(package, "auctions.py", FIRST_PRICE)
    monkeypatch.syspath_prepend(str(tmp_path))

    mechanism, entry = load_target("house_rules.auctions:first_price")

    assert entry is None and mechanism.plain
    assert mechanism.outcome(Shape((1, 1)), [[1], [2]]).payments == (
        (0,), (2,))


def test_a_module_in_the_working_directory_is_found_as_by_python_m(
        tmp_path, monkeypatch):
    write(tmp_path, "rules_beside_me.py", FIRST_PRICE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "rules_beside_me", raising=False)
    before = list(sys.path)

    try:
        mechanism, _ = load_target("rules_beside_me:first_price")
    finally:
        sys.modules.pop("rules_beside_me", None)

    assert mechanism.plain and mechanism.name == "first_price"
    assert sys.path == before


def test_a_catalogue_entry_is_found_by_module_and_name():
    mechanism, entry = load_target("mechanisms.two_level:MECHANISM_1")

    assert entry is CATALOGUE["mechanism-1"]


def test_a_missing_module_is_named():
    with pytest.raises(UnknownMechanism, match="no module 'no_such_pkg.x'"):
        load_target("no_such_pkg.x:rule")


def test_a_module_whose_own_import_fails_names_what_it_lacks(tmp_path,
                                                             monkeypatch):
    write(tmp_path, "needs_more.py", "import not_installed_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(MechanismError, match="not_installed_anywhere"):
        load_target("needs_more:rule")


# ---------------------------------------------------------------- errors

def test_a_missing_file_is_named_with_the_fix(tmp_path):
    missing = tmp_path / "nowhere.py"

    with pytest.raises(UnknownMechanism) as error:
        load_target(f"{missing}:rule")

    assert "nowhere.py" in str(error.value)
    assert "give the path of a Python file" in str(error.value)


def test_a_missing_absolute_path_is_said_once(tmp_path):
    missing = tmp_path / "nowhere.py"

    with pytest.raises(UnknownMechanism) as error:
        load_target(f"{missing}:rule")

    assert str(error.value).count(str(missing)) == 1


def test_a_missing_relative_path_names_the_folder_looked_in(tmp_path,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(UnknownMechanism) as error:
        load_target("nowhere.py:rule")

    assert f"no file 'nowhere.py' in '{tmp_path}'" in str(error.value)


def test_a_folder_is_not_taken_for_a_file(tmp_path):
    (tmp_path / "no file").mkdir()

    with pytest.raises(InvalidArgument, match="is a folder, not a Python "
                                              "file"):
        load_target(f"{tmp_path / 'no file'}:rule")


def test_a_file_that_is_not_python_is_named(tmp_path):
    path = write(tmp_path, "cert.json", "{}")

    with pytest.raises(InvalidArgument, match="'.*cert.json' is not a "
                                              "Python file"):
        load_target(f"{path}:rule")


def test_a_file_that_calls_sys_exit_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path, "script.py", """        import sys

        sys.exit(3)
        """)

    with pytest.raises(MechanismError, match=r"called sys.exit\(3\) at "
                                             r"line 3: put the script"):
        load_target(f"{path}:rule")


def test_a_file_that_raises_names_the_exception_and_line(tmp_path):
    path = write(tmp_path, "broken.py", """\
        RATE = 2

        SHARE = RATE / 0
        """)

    with pytest.raises(MechanismError) as error:
        load_target(f"{path}:rule")

    assert "ZeroDivisionError" in str(error.value)
    assert "line 3" in str(error.value)


def test_a_file_that_does_not_parse_names_the_line(tmp_path):
    path = write(tmp_path, "typo.py", "def rule(profile)\n    return 1\n")

    with pytest.raises(MechanismError, match="SyntaxError.*line 1"):
        load_target(f"{path}:rule")


def test_a_file_that_fails_is_not_left_half_imported(tmp_path):
    path = write(tmp_path, "broken.py", "raise RuntimeError('no')\n")
    modules = set(sys.modules)

    with pytest.raises(MechanismError):
        load_target(f"{path}:rule")

    assert set(sys.modules) == modules


def test_a_missing_function_lists_the_callables_and_the_closest(tmp_path):
    path = write(tmp_path, "auction.py", FIRST_PRICE + """
def second_price(profile):
    return first_price(profile)

RATE = 3
""")

    with pytest.raises(UnknownMechanism) as error:
        load_target(f"{path}:first_prize")

    message = str(error.value)
    assert "did you mean" in message and ":first_price?" in message
    assert "first_price, second_price" in message
    assert "RATE" not in message


def test_an_object_that_is_not_callable_is_refused(tmp_path):
    path = write(tmp_path, "numbers_only.py", "RATE = 0.5\n")

    with pytest.raises(MechanismError, match="float, not callable"):
        load_target(f"{path}:RATE")


@pytest.mark.parametrize("signature", [
    "rule()", "rule(bids, prices)", "rule(*, profile)",
])
def test_a_callable_that_cannot_take_one_profile_is_refused(tmp_path,
                                                             signature):
    path = write(tmp_path, "odd.py", f"def {signature}:\n    return None\n")

    with pytest.raises(MechanismError, match="one positional profile"):
        load_target(f"{path}:rule")


@pytest.mark.parametrize("signature", [
    "rule(profile)", "rule(profile, reserve=1)", "rule(*profiles)",
])
def test_a_callable_that_takes_one_profile_is_accepted(tmp_path, signature):
    path = write(tmp_path, "fine.py", f"def {signature}:\n    return None\n")

    mechanism, _ = load_target(f"{path}:rule")

    assert mechanism.plain
