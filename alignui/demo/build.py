"""Build the demo model: a small Llama-style model pre-trained by SFT on deliberately imperfect data.

`python -m alignui.demo.build [--out DIR]` (the same as `python -m alignui demo build`) rebuilds
the data files and the model (default: `assets/demo/`). The schedule counts steps rather than
seconds, every random draw is seeded and training runs on one thread, so a rebuild gives the same
model, bit for bit. A plain torch loop keeps each step's work, and its order, in view.
"""

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from alignui.data.jsonl import read_jsonl
from alignui.demo import DemoPaths, Progress, no_progress, paths, torch_threads
from alignui.demo.data import write_data
from alignui.demo.task import SEED
from alignui.errors import SpecError


@dataclass(frozen=True)
class Recipe:
    """The model's shape and its SFT schedule."""

    hidden: int = 128
    """Width of the residual stream."""
    layers: int = 4
    """Transformer blocks."""
    heads: int = 4
    """Attention heads (as many key/value heads)."""
    intermediate: int = 384
    """Width of each block's MLP."""
    steps: int = 2000
    """SFT optimizer steps: enough to learn addition and, from the data, to drop carries."""
    batch_size: int = 64
    """Sequences per step."""
    learning_rate: float = 2e-3
    """Peak AdamW learning rate, reached after `warmup` steps, then cosine down to a tenth."""
    warmup: int = 50
    """Linear warm-up steps."""
    seed: int = SEED
    """Seed of the weights and of the batch order."""


def encode(tokenizer, row: dict) -> tuple[list[int], list[int]]:
    """Token ids of prompt + reply, and labels that score the reply only (-100 on the prompt)."""
    prompt = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True)["input_ids"]
    full = tokenizer.apply_chat_template(row["prompt"] + row["completion"])["input_ids"]
    return full, [-100] * len(prompt) + full[len(prompt):]


def collate(encoded: list[tuple[list[int], list[int]]], pad_id: int):
    """Right-padded input ids, attention mask and labels for one batch."""
    import torch

    width = max(len(ids) for ids, _ in encoded)
    ids = torch.full((len(encoded), width), pad_id)
    labels = torch.full((len(encoded), width), -100)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, (tokens, targets) in enumerate(encoded):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        labels[row, : len(targets)] = torch.tensor(targets)
        mask[row, : len(tokens)] = 1
    return ids, mask, labels


def new_model(tokenizer, recipe: Recipe):
    """A freshly initialised LlamaForCausalLM of the recipe's shape (seeded)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(recipe.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=recipe.hidden, intermediate_size=recipe.intermediate,
        num_hidden_layers=recipe.layers, num_attention_heads=recipe.heads,
        num_key_value_heads=recipe.heads, max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None, tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    # Generation stops at the end of the reply, in the arena as in evaluation.
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = None
    return model


def learning_rate(step: int, recipe: Recipe) -> float:
    if step < recipe.warmup:
        return recipe.learning_rate * (step + 1) / recipe.warmup
    done = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
    return recipe.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


def train_sft(model, tokenizer, rows: list[dict], recipe: Recipe, progress: Progress = no_progress) -> None:
    """SFT on `rows` (prompt_completion, conversational) for `recipe.steps` steps."""
    import torch

    encoded = [encode(tokenizer, row) for row in rows]
    generator = torch.Generator().manual_seed(recipe.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.0)
    model.train()
    order, position, report_every = [], 0, max(1, recipe.steps // 100)
    for step in range(recipe.steps):
        if position + recipe.batch_size > len(order):
            order, position = torch.randperm(len(encoded), generator=generator).tolist(), 0
        batch = [encoded[i] for i in order[position: position + recipe.batch_size]]
        position += recipe.batch_size
        ids, mask, labels = collate(batch, tokenizer.pad_token_id)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, recipe)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if (step + 1) % report_every == 0 or step + 1 == recipe.steps:
            progress((step + 1) / recipe.steps, f"SFT step {step + 1}/{recipe.steps}, loss {loss.item():.3f}")
    model.eval()


def build(out: Path | str | None = None, recipe: Recipe = Recipe(),
          progress: Progress = no_progress) -> DemoPaths:
    """Write the demo data, then pre-train and save the model, under `out` (default `assets/demo/`).

    The model folder holds safetensors weights, the config, the tokenizer and its chat template.
    """
    from alignui.demo.tokenizer import save_tokenizer

    if recipe.steps < 1:
        raise SpecError(f"steps must be at least 1, not {recipe.steps}")
    demo = write_data(paths(out).root)
    progress(0.0, f"data written to {demo.root}")
    tokenizer = save_tokenizer(demo.model)
    model = new_model(tokenizer, recipe)
    with torch_threads():
        train_sft(model, tokenizer, read_jsonl(demo.sft), recipe, progress)
    model.save_pretrained(demo.model)
    return demo


def heldout_accuracy(demo: DemoPaths) -> float:
    """Greedy accuracy of the saved model on the held-out problems."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from alignui.demo.evaluate import accuracy

    model = AutoModelForCausalLM.from_pretrained(demo.model)
    tokenizer = AutoTokenizer.from_pretrained(demo.model)
    return accuracy(model, tokenizer, read_jsonl(demo.heldout))


if __name__ == "__main__":
    from alignui.cli import main

    raise SystemExit(main(["demo", "build", *sys.argv[1:]]))
