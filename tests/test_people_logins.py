"""Login limits: per name and per address, a lockout that ends by itself, the --auth pair."""

from alignui.people import accounts
from alignui.people.logins import LoginGuard
from alignui.settings import PeopleLimits


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def guard(clock, extra=None):
    limits = PeopleLimits(login_max_failures=3, login_window_s=60, login_lockout_s=30)
    return LoginGuard(limits, extra=extra, clock=clock)


def test_the_right_password_goes_in_and_a_wrong_one_does_not():
    accounts.add("ada", "trainer", "correct horse")
    logins = guard(Clock())
    assert logins.login("ada", "correct horse", "10.0.0.1") == accounts.User("ada", "trainer")
    assert logins.login("ada", "wrong horse", "10.0.0.1") is None
    assert logins.login("nobody", "correct horse", "10.0.0.1") is None


def test_failures_lock_the_name_and_the_lockout_ends_by_itself():
    accounts.add("ada", "trainer", "correct horse")
    clock = Clock()
    logins = guard(clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # spread over addresses: the name still locks
        assert logins.login("ada", "guess", address) is None
    assert logins.login("ada", "correct horse", "10.0.0.9") is None  # locked: even the right password
    clock.now += 29
    assert logins.login("ada", "correct horse", "10.0.0.9") is None
    clock.now += 2
    assert logins.login("ada", "correct horse", "10.0.0.9").name == "ada"


def test_failures_from_one_address_lock_that_address_for_every_name():
    accounts.add("ada", "trainer", "correct horse")
    accounts.add("bo", "rater", "battery staple")
    clock = Clock()
    logins = guard(clock)
    for name in ("x1", "x2", "x3"):
        logins.login(name, "guess", "10.0.0.66")
    assert logins.login("bo", "battery staple", "10.0.0.66") is None
    assert logins.login("bo", "battery staple", "10.0.0.7").name == "bo"


def test_failures_outside_the_window_do_not_add_up():
    accounts.add("ada", "trainer", "correct horse")
    clock = Clock()
    logins = guard(clock)
    logins.login("ada", "typo", "10.0.0.1")
    logins.login("ada", "typo", "10.0.0.1")
    clock.now += 61  # those two have left the window
    logins.login("ada", "typo", "10.0.0.1")
    logins.login("ada", "typo", "10.0.0.1")
    assert not logins.locked("user:ada")
    logins.login("ada", "typo", "10.0.0.1")
    assert logins.locked("user:ada")


def test_the_auth_pair_is_an_admin_without_an_account():
    logins = guard(Clock(), extra=("owner", "from the command line"))
    assert logins.login("owner", "from the command line", None) == accounts.User("owner", "admin")
    assert logins.login("owner", "wrong", None) is None
