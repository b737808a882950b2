"""Greedy accuracy of a model on prompts with known answers, judged by the task's verifier."""

from collections import defaultdict

from alignui.demo.task import is_correct

#: Enough for a two-digit answer, its end token, and a little slack to show rambling.
MAX_NEW_TOKENS = 4


def greedy_replies(model, tokenizer, prompts: list[list[dict]]) -> list[str]:
    """Each conversational prompt's greedy reply, in order.

    Prompts of one length go through `generate` together, so no padding is needed and
    every batch sees exactly the positions it would see alone.
    """
    import torch

    by_length = defaultdict(list)
    for index, messages in enumerate(prompts):
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True)["input_ids"]
        by_length[len(ids)].append((index, ids))
    replies = [""] * len(prompts)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for length, group in by_length.items():
            input_ids = torch.tensor([ids for _, ids in group], device=model.device)
            output = model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                max_new_tokens=MAX_NEW_TOKENS, do_sample=False,
                pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
            )
            texts = tokenizer.batch_decode(output[:, length:], skip_special_tokens=True)
            for (index, _), text in zip(group, texts):
                replies[index] = text
    model.train(was_training)
    return replies


def accuracy(model, tokenizer, rows: list[dict]) -> float:
    """Share of `rows` ({"prompt": messages, "answer": ...}) whose greedy reply the verifier accepts."""
    replies = greedy_replies(model, tokenizer, [row["prompt"] for row in rows])
    return sum(is_correct(reply, row["answer"]) for reply, row in zip(replies, rows)) / len(rows)
