"""Build the Gradio Blocks app: one tab per step of the flow, a Rate page, and People for admins.

Every handler goes through the role check (alignui/ui/access.py). Which tabs a person sees is
decided on page load from their role; that is only for the eye: the check is what protects.
"""

import gradio as gr

from alignui import settings
from alignui.people.accounts import ADMIN, RATER, ROLES
from alignui.ui import algorithm_tab, compare_tab, data_tab, evaluate_tab, people_tab, rate_tab, train_tab
from alignui.ui.access import Gate, allow, protect

INTRO = """# alignui
Align a language model with your own feedback data: **Data → Algorithm → Train → Compare → Evaluate**.
Start by uploading a file in the Data tab."""

#: The whole loop on the offline demo (a tiny model that often forgets to carry the one), no GPU needed.
FIRST_RUN = """1. **Data**: upload `assets/demo/preference.jsonl` (right vs wrong sums), check the rows, save it as `demo-pairs`.
2. **Algorithm**: pick `demo-pairs` as the dataset: the checklist ranks the algorithms and fills in presets.
3. **Train**: pick the demo recipe **dpo**, click **Load demo recipe**, then **Launch**. It trains the demo model
   on the demo pairs with the settings tuned for it (about two minutes on two CPU cores); watch the
   reward margins and accuracies climb.
4. **Compare**: reference = the demo model, aligned = the finished job; ask `17+25=` and vote.
5. **Feedback**: export your votes and thumbs to the catalog, and continue training on them.
6. **Evaluate**: reference = the demo model, aligned = the finished job, prompt file
   `assets/demo/heldout.jsonl`, judge *verifier*: the win rate and accuracies say whether alignment helped.

From the command line the same loop is `python -m alignui demo run --json`."""

#: The flow's tabs: (label, id, render), shown to trainers and admins. Tabs whose lists refresh when
#: opened are given their tab.
FLOW = [("Data", "data", data_tab.render), ("Algorithm", "algorithm", lambda tab: algorithm_tab.render()),
        ("Train", "train", lambda tab: train_tab.render()), ("Compare", "compare", compare_tab.render),
        ("Evaluate", "evaluate", evaluate_tab.render)]


def build_app(gate: Gate | None = None) -> gr.Blocks:
    """The app; `gate` says how callers are identified (default: no logins, the local operator)."""
    gate = gate or Gate(logins=False)
    # Uploads and files made for download are swept from Gradio's cache once they are old.
    with gr.Blocks(title="alignui", delete_cache=settings.UPLOAD_CACHE_SWEEP) as app:
        intro = gr.Markdown(INTRO)
        with gr.Accordion("First run? Walk the whole loop with the offline demo", open=False) as first_run:
            gr.Markdown(FIRST_RUN)
        with gr.Tabs() as tabs:
            flow = []
            for label, tab_id, render in FLOW:
                with gr.Tab(label, id=tab_id) as tab:
                    render(tab)
                flow.append(tab)
            with gr.Tab("Rate", id="rate") as rate:
                assign = rate_tab.render()
            with gr.Tab("People", id="people") as people:
                people_tab.render()

        @allow(*ROLES)
        def show_for_role(request: gr.Request):
            """Show each person the pages of their role; a rater lands on Rate."""
            role = gate.role(request)
            staff = role is not None and role != RATER

            def tab(shown: bool):  # a tab updated with visible=False keeps its button; "hidden" removes it
                return gr.Tab(visible=True if shown else "hidden")
            return (gr.update(visible=staff), gr.update(visible=staff), *[tab(staff) for _ in flow],
                    tab(role is not None), tab(role == ADMIN), gr.update(visible=staff),
                    # Staff keep whatever tab they opened meanwhile; a rater lands on Rate.
                    gr.skip() if staff else gr.Tabs(selected="rate"))

        gr.on(None, show_for_role, outputs=[intro, first_run, *flow, rate, people, assign, tabs],
              api_visibility="private")
    return protect(app, gate)
