"""The People tab (admins): accounts and their roles. Endpoints: users, add_user, remove_user."""

import gradio as gr

from alignui.people.accounts import ADMIN, ROLES
from alignui.ui.access import allow
from alignui.ui.errors import user_errors

USER_COLUMNS = ["name", "role", "created_at"]


def render() -> None:
    gr.Markdown("### People\nWho may sign in, and what each may do: **rater** (the Rate page only), "
                "**trainer** (the whole flow; steers only their own jobs), **admin** (everything).")
    table = gr.Dataframe(headers=USER_COLUMNS, interactive=False)
    with gr.Row():
        name = gr.Textbox(label="Name")
        role = gr.Radio(list(ROLES), value="rater", label="Role")
        password = gr.Textbox(label="Password", type="password")
    with gr.Row():
        add = gr.Button("Add", variant="primary")
        remove = gr.Button("Remove", variant="stop")
    message = gr.Markdown()
    gr.on(None, list_users, outputs=table, api_visibility="private")
    add.click(add_user, inputs=[name, role, password], outputs=[message, table, password], api_name="add_user")
    remove.click(remove_user, inputs=name, outputs=[message, table], api_name="remove_user")


@allow(ADMIN)
def list_users():
    import pandas as pd

    from alignui.people import accounts

    return pd.DataFrame(accounts.list_users(), columns=USER_COLUMNS)


@allow(ADMIN)
@user_errors
def add_user(name, role, password):
    from alignui.people import accounts

    accounts.add(name, role, password)
    return f"Added **{name.strip()}** ({role}).", list_users(), ""


@allow(ADMIN)
@user_errors
def remove_user(name):
    from alignui.people import accounts

    accounts.remove((name or "").strip())
    return f"Removed **{name.strip()}**.", list_users()
