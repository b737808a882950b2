"""`python -m alignui users add|list|remove|passwd|bootstrap`: the accounts people sign in with."""

import sys

from alignui.commands.output import print_json
from alignui.errors import DataError, NotFound
from alignui.people.accounts import ROLES


def register(subparsers) -> None:
    users = subparsers.add_parser("users", help="add, list and remove the accounts of the web app")
    commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES,
                     help="rater: the Rate page only; trainer: the whole flow; admin: everything")
    add_password_option(add)
    add.add_argument("--if-missing", action="store_true", help="do nothing if the account exists")
    add.set_defaults(func=run_add)

    listing = commands.add_parser("list", help="the accounts and their roles")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(func=run_list)

    remove = commands.add_parser("remove", help="delete an account (its records keep its name)")
    remove.add_argument("name")
    remove.set_defaults(func=run_remove)

    passwd = commands.add_parser("passwd", help="set a new password (asks for it)")
    passwd.add_argument("name")
    add_password_option(passwd)
    passwd.set_defaults(func=run_passwd)

    bootstrap = commands.add_parser(
        "bootstrap", help="create the admin named by ALIGNUI_ADMIN_USER if missing (password from "
                          "ALIGNUI_ADMIN_PASSWORD or the file ALIGNUI_ADMIN_PASSWORD_FILE)")
    bootstrap.set_defaults(func=run_bootstrap)


def add_password_option(parser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input instead of asking")


def read_password(args) -> str:
    """The password from stdin's first line, or asked twice at the terminal without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise DataError("the two passwords differ; nothing was changed")
    return password


def run_add(args) -> int:
    from alignui.people import accounts

    created = accounts.add(args.name, args.role, read_password(args), if_missing=args.if_missing)
    print(f"added {args.name} ({args.role})" if created else f"{args.name} exists already; left as it is")
    return 0


def run_list(args) -> int:
    from alignui.people import accounts

    found = accounts.list_users()
    if args.json:
        print_json({"users": found})
        return 0
    if not found:
        print("no accounts yet: add one with `python -m alignui users add NAME --role admin`")
    for user in found:
        print(f"{user['name']:<24} {user['role']:<8} {user['created_at']}")
    return 0


def run_remove(args) -> int:
    from alignui.people import accounts

    accounts.remove(args.name)
    print(f"removed {args.name}")
    return 0


def run_passwd(args) -> int:
    from alignui.people import accounts

    if accounts.get(args.name) is None:  # say so before asking for a password
        raise NotFound(f"no user {args.name!r}; `python -m alignui users list` shows the accounts")
    accounts.set_password(args.name, read_password(args))
    print(f"password of {args.name} changed")
    return 0


def run_bootstrap(args) -> int:
    from alignui.people import accounts

    print(accounts.bootstrap_admin() or "ALIGNUI_ADMIN_USER is not set: no admin to create")
    return 0
