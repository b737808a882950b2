"""The demo model's tokenizer: one token per character, plus the chat's special tokens.

Characters make the arithmetic easy to learn (every digit is its own token) and keep the
vocabulary tiny. Every printable ASCII character is in it, so whatever a user types into the
arena still tokenizes; anything else becomes `<|unk|>`.
"""

from pathlib import Path

PAD, UNK, END = "<|pad|>", "<|unk|>", "<|end|>"
ROLES = ("system", "user", "assistant")
SPECIAL_TOKENS = [PAD, UNK, END] + [f"<|{role}|>" for role in ROLES]
CHARACTERS = [chr(code) for code in range(32, 127)]

#: `<|role|>content<|end|>` per message. The assistant's part is marked as generated so TRL can
#: train on replies only; the prompt alone is a prefix of prompt + reply, as preference trainers need.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>' }}{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)


def build_tokenizer():
    """A PreTrainedTokenizerFast over single characters, with the chat template set."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(SPECIAL_TOKENS + CHARACTERS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(SPECIAL_TOKENS)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, unk_token=UNK, eos_token=END,
        additional_special_tokens=[f"<|{role}|>" for role in ROLES],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def save_tokenizer(folder: Path):
    """Write the tokenizer and its chat template to `folder`; AutoTokenizer loads it from there."""
    tokenizer = build_tokenizer()
    tokenizer.save_pretrained(folder)
    return tokenizer
