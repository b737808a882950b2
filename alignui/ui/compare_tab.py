"""The Compare tab: the reference and the aligned model answer side by side; votes and thumbs become
the next training dataset.

Every listener is an API endpoint (generate, regenerate, stop, clear, vote, thumb, export_feedback,
continue_training, list_models), so the tab can be driven with gradio_client as in the browser.
A thumb is a chat window's like button: its endpoint takes the like event's data as a browser sends it.
"""

import tempfile
import threading
from pathlib import Path

import gradio as gr

from alignui.ui.errors import user_errors

EXPORT_TYPES = [("Thumbs → unpaired_preference (for KTO)", "unpaired_preference"),
                ("Votes → preference pairs (for DPO)", "preference")]
VOTE_CHOICES = [("A is better", "a"), ("B is better", "b"), ("Tie", "tie"), ("Both are bad", "both_bad")]
CHAT_IDS = {"a": "arena-chat-a", "b": "arena-chat-b"}
#: Stop signals of the generations running now, by browser session.
_stops: dict[str, threading.Event] = {}


def render(tab: gr.Tab) -> None:
    """The tab's components and listeners; opening `tab` refreshes the model pickers."""
    from alignui.arena.generate import MAX_NEW_TOKENS

    gr.Markdown(
        "### Compare\nPick the reference and the aligned model, ask one prompt, and watch both answer "
        "at once. Vote for the better answer or give each answer a thumb: your feedback becomes the "
        "next training dataset. Each message is a new question unless you untick *One question per "
        "chat* to ask follow-ups (the models then see the earlier turns)."
    )
    conversation = gr.State(None)
    exported = gr.State(None)  # (type, dataset name) of the latest export
    with gr.Row():
        reference = model_picker("Reference model")
        aligned = model_picker("Aligned model")
        refresh = gr.Button("Refresh jobs", size="sm", scale=0)
    with gr.Row():
        blind = gr.Checkbox(label="Blind: shuffle the sides and hide the names until I vote")
        one_question = gr.Checkbox(True, label="One question per chat: each message starts a new conversation",
                                   info="Untick to ask follow-ups that carry the earlier turns.")
    with gr.Accordion("Sampling (identical for both sides)", open=False):
        with gr.Row():
            temperature = gr.Slider(0, 2, value=0.7, step=0.05, label="Temperature (0 = greedy)")
            top_p = gr.Slider(0.05, 1, value=0.95, step=0.05, label="top_p")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            max_new_tokens = gr.Slider(1, MAX_NEW_TOKENS, value=min(256, MAX_NEW_TOKENS), step=1,
                                       label=f"Max new tokens (server cap {MAX_NEW_TOKENS})")
    with gr.Row():
        chats = {side: gr.Chatbot(label=f"Model {side.upper()}", elem_id=CHAT_IDS[side], height=420)
                 for side in ("a", "b")}
    prompt = gr.Textbox(label="Prompt", placeholder="Ask both models…", lines=2)
    with gr.Row():
        send = gr.Button("Send", variant="primary")
        stop = gr.Button("Stop")
        regenerate = gr.Button("Regenerate")
        clear = gr.Button("New chat")
    with gr.Row():
        vote = gr.Radio(VOTE_CHOICES, label="Which answer is better?", value=None)
        comment = gr.Textbox(label="Comment (optional)", info="Sent with your next thumb up or down.")
    status = gr.Markdown()

    gr.Markdown("#### Turn feedback into training data")
    with gr.Row():
        export_type = gr.Radio(EXPORT_TYPES, value="preference", label="Export")
        export_name = gr.Textbox(label="Save as", placeholder="arena-feedback")
        export_button = gr.Button("Export to catalog")
    export_message = gr.Markdown()
    exported_file = gr.File(label="Exported JSONL", interactive=False, visible=False)
    continue_button = gr.Button("Continue training on this feedback", variant="primary")
    # Shown once there is a recipe in them.
    recipe = gr.Code(language="yaml", interactive=True, visible=False,
                     label="Training recipe: review it, change what you like, then launch it")
    launch_button = gr.Button("Launch this recipe", visible=False)
    launch_message = gr.Markdown()
    command = gr.Code(language="shell", label="Or launch it from the command line", visible=False)
    recipe_file = gr.File(label="Recipe YAML", interactive=False, visible=False)

    sampling = [temperature, top_p, seed, max_new_tokens]
    shown = [conversation, chats["a"], chats["b"], status]
    send_inputs = [conversation, prompt, reference, aligned, blind, one_question, *sampling]
    gr.on([send.click, prompt.submit], ask, inputs=send_inputs, outputs=[*shown, prompt],
          api_name="generate")
    regenerate.click(again, inputs=[conversation, *sampling], outputs=[*shown, seed], api_name="regenerate")
    stop.click(halt, api_name="stop", concurrency_limit=None)
    clear.click(start_over, outputs=shown, api_name="clear")
    vote.input(record_vote, inputs=[conversation, vote], outputs=[*shown, vote], api_name="vote")
    gr.on([chats["a"].like, chats["b"].like], record_thumb, inputs=[conversation, comment],
          outputs=[status, comment], api_name="thumb")
    export_button.click(export_feedback, inputs=[export_type, export_name],
                        outputs=[export_message, exported_file, exported], api_name="export_feedback")
    continue_button.click(continue_training, inputs=[exported, aligned],
                          outputs=[recipe, command, recipe_file, launch_button], api_name="continue_training")
    launch_button.click(launch_recipe, inputs=recipe, outputs=launch_message, api_name="launch_feedback_recipe")
    refresh.click(list_models, outputs=[reference, aligned], api_name="list_models")
    # On page load, on opening the tab or a picker: jobs that finished meanwhile appear. Without
    # inputs, so a typed model stays as it is.
    gr.on([tab.select, reference.focus, aligned.focus], list_models, outputs=[reference, aligned],
          api_visibility="private")
    gr.on(None, list_models, outputs=[reference, aligned], api_visibility="private")


def model_picker(label: str) -> gr.Dropdown:
    return gr.Dropdown(choices=[], value=None, allow_custom_value=True, label=label,
                       info="A finished training job, the demo, a local or cached model; or type a folder or hub id.")




# ----- chatting -----

@user_errors
def ask(conversation, prompt, reference, aligned, blind, one_question, temperature, top_p, seed, max_new_tokens,
        request: gr.Request):
    from alignui.arena import chat as arena
    from alignui.paths import allowed_path

    reference, aligned = allowed_path(reference, "model"), allowed_path(aligned, "model")
    if conversation is None or one_question or conversation.blind != bool(blind) or \
            not conversation.same_models(reference, aligned):
        conversation = arena.start(reference, aligned, bool(blind))
    sampling = _sampling(temperature, top_p, seed, max_new_tokens)
    for current in arena.ask(conversation, prompt, sampling, _stop_signal(request)):
        yield *_show(current, "Answering…"), ""
    yield *_show(conversation, _after_answer(conversation)), ""


@user_errors
def again(conversation, temperature, top_p, seed, max_new_tokens, request: gr.Request):
    from alignui.arena import chat as arena

    if conversation is None:
        raise gr.Error("There is nothing to regenerate yet: send a prompt first.")
    seed = int(seed or 0) + 1  # a new draw: the same seed would give the same answers
    sampling = _sampling(temperature, top_p, seed, max_new_tokens)
    for current in arena.regenerate(conversation, sampling, _stop_signal(request)):
        yield *_show(current, "Answering again…"), seed
    yield *_show(conversation, _after_answer(conversation)), seed


def halt(request: gr.Request) -> None:
    signal = _stops.get(request.session_hash)
    if signal:
        signal.set()


def start_over():
    return None, [], [], "New chat: the next prompt starts a new conversation."


@user_errors
def record_vote(conversation, value, request: gr.Request):
    from alignui.arena import feedback

    if conversation is None:
        raise gr.Error("There is nothing to vote on yet: send a prompt first.")
    feedback.record_vote(conversation, value, _user(request))
    winner = {"a": "A", "b": "B"}.get(value)
    said = f"You preferred **{winner}**." if winner else f"You voted **{value.replace('_', ' ')}**."
    roles = " · ".join(conversation.name(side) for side in ("a", "b"))
    return *_show(conversation, f"{said} Recorded. {roles}"), None


@user_errors
def record_thumb(conversation, comment, like: gr.LikeData, request: gr.Request):
    from alignui.arena import feedback

    if conversation is None:
        raise gr.Error("There is no answer to rate yet.")
    side = next((s for s, elem in CHAT_IDS.items() if getattr(like.target, "elem_id", None) == elem), None)
    if side is None:
        raise gr.Error("A thumb must come from one of the two chat windows.")
    index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
    value = feedback.thumb_value(like.liked)
    feedback.record_thumb(conversation, int(index) // 2, side, value, comment, _user(request))
    said = {"up": "👍 recorded", "down": "👎 recorded", "withdrawn": "Thumb taken back"}[value]
    return f"{said} for answer {int(index) // 2 + 1} of {conversation.name(side)}.", ""


# ----- the loop -----

@user_errors
def export_feedback(type, name):
    from alignui.arena import feedback_export

    name = (name or "").strip() or feedback_export.default_name(type)
    if not feedback_export.rows(type):  # a message beside the file box, not an error inside it
        return f"**Nothing exported:** {feedback_export.nothing_to_export(type)}.", gr.File(value=None, visible=False), None
    entry = feedback_export.save(type, name)
    # The data home is never served: the download is a copy outside it.
    download = Path(tempfile.mkdtemp(prefix="alignui-feedback-")) / f"{entry.name}.jsonl"
    download.write_bytes(Path(entry.path).read_bytes())
    return (f"Saved **{entry.name}**: {entry.rows} {entry.type} rows. Press *Continue training* for "
            "a recipe that trains the aligned model on it.", gr.File(value=str(download), visible=True),
            (entry.type, entry.name))


@user_errors
def continue_training(exported, aligned):
    from alignui.arena import feedback_export

    if not exported:
        raise gr.Error("Export your feedback to the catalog first.")
    from alignui.paths import allowed_path

    type, name = exported
    spec = feedback_export.continue_training(allowed_path(aligned, "model"), name, type)
    recipe = spec.to_yaml()
    path = Path(tempfile.mkdtemp(prefix="alignui-recipe-")) / f"{spec.algorithm}-{name}.yaml"
    path.write_text(recipe)
    return (gr.Code(value=recipe, visible=True), gr.Code(value=feedback_export.train_command(spec), visible=True),
            gr.File(value=str(path), visible=True), gr.Button(visible=True))


@user_errors
def launch_recipe(text):
    from alignui.recipe.spec import TrainSpec
    from alignui.train import jobs

    if not (text or "").strip():
        raise gr.Error("Press *Continue training on this feedback* first: it writes the recipe.")
    job = jobs.submit(TrainSpec.from_yaml(text))
    return f"Job {job['job_id']} {job['status']}: watch it in the Train tab."


def list_models():
    """New choices for both pickers; their values are left as the user set them."""
    from alignui import model_choices
    from alignui.arena.models import finished_jobs

    found = finished_jobs() + model_choices.choices()
    return gr.update(choices=found), gr.update(choices=found)


# ----- inside -----

def _sampling(temperature, top_p, seed, max_new_tokens):
    from alignui.arena.generate import Sampling

    return Sampling(float(temperature), float(top_p), int(seed or 0), int(max_new_tokens))


def _stop_signal(request: gr.Request) -> threading.Event:
    signal = threading.Event()
    _stops[request.session_hash] = signal
    return signal


def _show(conversation, message: str):
    names = {side: gr.Chatbot(value=conversation.chat(side), label=conversation.name(side),
                              feedback_value=conversation.feedback(side))
             for side in ("a", "b")}
    return conversation, names["a"], names["b"], message


def _after_answer(conversation) -> str:
    hidden = "" if conversation.revealed() else " The names show once you vote."
    return f"Vote for the better answer, or rate each answer with 👍/👎.{hidden}"


def _user(request: gr.Request) -> str:
    return getattr(request, "username", None) or ""
