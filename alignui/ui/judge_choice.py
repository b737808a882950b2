"""The judge picker the Evaluate tab and the on-policy panel both show, and the judge name it makes."""

import gradio as gr

#: The judges that score answers themselves (the Evaluate tab adds the human votes).
JUDGES = [("Verifier: check each answer against the prompt file's answer column", "verifier"),
          ("Reward model: a reward job id or a sequence-classification model folder", "reward-model"),
          ("LLM judge: a chat model compares two answers, in both orders", "llm")]


def judge_name(choice: str, model: str | None) -> str:
    """"verifier", or "reward-model:PATH" / "llm:PATH" with the model box's value taken as a server path
    only under the allowed roots (alignui.paths)."""
    from alignui.paths import allowed_path

    if choice == "verifier":
        return choice
    if not (model or "").strip():
        raise gr.Error("Name the reward model or judge model: a job id or a model folder.")
    return f"{choice}:{allowed_path(model, 'reward model' if choice == 'reward-model' else 'model')}"
