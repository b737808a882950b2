"""The Rate page: blind comparisons for raters, on the prompts a trainer assigned (or typed freely).

Always blind: the sides are shuffled for every prompt and the models' names never reach the page.
Every rater judges the same greedy answers to a prompt (alignui/people/rating.py), so their votes
can be compared (Evaluate tab, agreement between raters). A rater sees only their own vote count.

Rater endpoints: rate_sets, rate_next, rate_ask, rate_vote, rate_thumb. Trainers assign sets with
assign_prompts (trainers and admins only, like every endpoint not marked with `allow`).
"""

import time

import gradio as gr

from alignui.people.accounts import ADMIN, RATER, TRAINER
from alignui.ui.access import allow
from alignui.ui.compare_tab import CHAT_IDS, VOTE_CHOICES, list_models, model_picker
from alignui.ui.errors import user_errors

#: Seconds between two updates of the answers while they stream.
UPDATE_EVERY_S = 0.3


def render() -> None:
    gr.Markdown(
        "### Rate\nTwo models answer each prompt; you don't know which is which. Vote for the better "
        "answer, or give each one a thumb; a comment goes with your next vote or thumb."
    )
    conversation = gr.State(None)
    position = gr.State(0)  # the next prompt of the set to ask
    with gr.Row():
        prompt_set = gr.Dropdown(choices=[], value=None, label="Prompt set", scale=3, allow_custom_value=True)
        next_button = gr.Button("Next prompt from the set", variant="primary", scale=1)
    with gr.Row():
        chats = {side: gr.Chatbot(label=f"Model {side.upper()}", elem_id=f"rate-{CHAT_IDS[side]}", height=360)
                 for side in ("a", "b")}
    with gr.Row():
        prompt = gr.Textbox(label="Or type your own prompt", lines=2, scale=4)
        send = gr.Button("Ask both", scale=1)
    with gr.Row():
        vote = gr.Radio(VOTE_CHOICES, label="Which answer is better?", value=None)
        comment = gr.Textbox(label="Comment (optional)")
    status = gr.Markdown()

    with gr.Accordion("Assign prompts to raters (trainers)", open=False, visible=True) as assign_box:
        with gr.Row():
            set_name = gr.Textbox(label="Prompt set name", placeholder="week-1")
            reference = model_picker("Reference model")
            aligned = model_picker("Aligned model")
        with gr.Row():
            prompt_lines = gr.Textbox(label="Prompts, one per line", lines=4)
            from_dataset = gr.Dropdown(choices=[], value=None, label="…or every prompt of a saved dataset")
        assign_button = gr.Button("Assign")
        assign_message = gr.Markdown()

    shown = [conversation, chats["a"], chats["b"], status]
    prompt_set.focus(rate_sets, outputs=prompt_set, api_name="rate_sets")
    gr.on(None, rate_sets, outputs=prompt_set, api_visibility="private")  # on page load
    next_button.click(rate_next, inputs=[prompt_set, position], outputs=[*shown, position, vote],
                      api_name="rate_next")
    gr.on([send.click, prompt.submit], rate_ask, inputs=[prompt_set, prompt],
          outputs=[*shown, prompt, vote], api_name="rate_ask")
    vote.input(rate_vote, inputs=[conversation, vote, comment], outputs=[status, comment], api_name="rate_vote")
    gr.on([chats["a"].like, chats["b"].like], rate_thumb, inputs=[conversation, comment],
          outputs=[status, comment], api_name="rate_thumb")
    assign_button.click(assign_prompts, inputs=[set_name, reference, aligned, prompt_lines, from_dataset],
                        outputs=[assign_message, prompt_set], api_name="assign_prompts")
    gr.on(None, assign_choices, outputs=[reference, aligned, from_dataset], api_visibility="private")
    return assign_box


@allow(RATER, TRAINER, ADMIN)
def rate_sets():
    from alignui.people import prompt_sets

    return gr.update(choices=prompt_sets.names())


@allow(RATER, TRAINER, ADMIN)
@user_errors
def rate_next(set_name, position):
    """Ask the set's next prompt (wrapping round at the end)."""
    prompts = _set(set_name)["prompts"]
    index = int(position or 0) % len(prompts)
    for shown in _ask(set_name, prompts[index]):
        yield *shown, index + 1, None


@allow(RATER, TRAINER, ADMIN)
@user_errors
def rate_ask(set_name, prompt):
    for shown in _ask(set_name, prompt):
        yield *shown, "", None


@allow(RATER, TRAINER, ADMIN)
@user_errors
def rate_vote(conversation, value, comment):
    from alignui.arena import feedback

    if conversation is None:
        raise gr.Error("Ask a prompt first.")
    feedback.record_vote(conversation, value, comment=comment)
    return f"Vote recorded. You have given {_my_votes()} votes.", ""


@allow(RATER, TRAINER, ADMIN)
@user_errors
def rate_thumb(conversation, comment, like: gr.LikeData):
    from alignui.arena import feedback

    if conversation is None:
        raise gr.Error("There is no answer to rate yet.")
    side = next((s for s, elem in CHAT_IDS.items() if getattr(like.target, "elem_id", None) == f"rate-{elem}"),
                None)
    if side is None:
        raise gr.Error("A thumb must come from one of the two chat windows.")
    value = feedback.thumb_value(like.liked)
    feedback.record_thumb(conversation, len(conversation.exchanges) - 1, side, value, comment)
    return {"up": "👍 recorded.", "down": "👎 recorded.", "withdrawn": "Thumb taken back."}[value], ""


@user_errors
def assign_prompts(name, reference, aligned, lines, dataset):
    from alignui.people import prompt_sets

    prompts = prompt_sets.prompts_from_dataset(dataset) if dataset else (lines or "").splitlines()
    found = prompt_sets.assign(name, prompts, reference, aligned)
    return (f"Prompt set **{found['name']}** assigned: {len(found['prompts'])} prompts.",
            gr.update(choices=prompt_sets.names()))


def assign_choices():
    from alignui.data import catalog

    models, _ = list_models()
    return models, models, gr.update(choices=[entry.name for entry in catalog.list_entries()])


# ----- inside -----
def _set(name) -> dict:
    from alignui.people import prompt_sets

    if not name:
        raise gr.Error("Pick a prompt set first.")
    return prompt_sets.get(name)


def _ask(set_name, prompt):
    """The set's models answer `prompt`, blind, streamed: (conversation, chat a, chat b, status)."""
    from alignui.people import rating

    current, shown = None, time.monotonic()
    for current in rating.ask(_set(set_name), prompt):
        # Many raters at once: the page is updated a few times a second, not once per token.
        if time.monotonic() - shown >= UPDATE_EVERY_S:
            shown = time.monotonic()
            yield current, current.chat("a"), current.chat("b"), "Answering…"
    yield current, current.chat("a"), current.chat("b"), "Which answer is better?"


def _my_votes() -> int:
    from alignui import store
    from alignui.people import acting

    return store.connect()["feedback"].count_where("kind = 'vote' and user = ?", [acting.owner_name()])
