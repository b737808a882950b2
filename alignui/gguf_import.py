"""Turn a GGUF file (llama.cpp's format) into a plain safetensors model folder that every tab can use.

transformers reads GGUF files (with the `gguf` package), dequantising the weights, but refuses to
save a model loaded that way. So the model is rebuilt from its config without the quantization
entry, given the loaded weights, and saved with its tokenizer, chat template, generation config
and a model card. The saved folder is checked against the GGUF model itself: both must give the
same greedy answer to the same question.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alignui import settings
from alignui.errors import AlignUIError, DataError, NotFound

#: The question every converted model answers greedily, once from the GGUF file and once from the saved folder.
CHECK_QUESTION = "What is the capital of France?"
#: New tokens generated for that answer.
CHECK_TOKENS = 24
DTYPES = ("float32", "bfloat16")


@dataclass
class Source:
    """Where a model folder came from, for its model card."""

    description: str
    """One line: the file (and package) the weights were read from."""
    licence: str = ""
    """The licence of the weights (SPDX id); empty when the file does not say."""
    base_model: str = ""
    """The hub id of the original model, when known."""


def model_name(gguf_file: Path) -> str:
    """A folder name from a GGUF file's name: `SmolLM2-135M-Instruct.Q4_1.gguf` -> `smollm2-135m-instruct`."""
    return Path(gguf_file).name.split(".")[0].lower()


def target(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise DataError(f"model name {name!r} must be a plain folder name (no '/', not starting with '.')")
    return settings.models_dir() / name


def metadata(gguf_file: Path) -> dict:
    """The GGUF file's `general.*` entries (name, licence, architecture, ...)."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(gguf_file))
    except (ValueError, OSError) as error:
        raise DataError(f"{gguf_file} is not a readable GGUF file: {error}") from None
    found = {}
    for key, field in reader.fields.items():
        if key.startswith("general."):
            try:
                found[key.removeprefix("general.")] = field.contents()
            except (ValueError, IndexError):  # an entry type the reader cannot decode: not needed here
                pass
    return found


def import_gguf(gguf_file: Path, name: str | None = None, dtype: str = "float32", source: Source | None = None,
                question: str = CHECK_QUESTION, expect: str = "", progress=None) -> Path:
    """Convert `gguf_file` into the data home's models/NAME folder and return it.

    The saved folder must answer `question` as the GGUF file does, and with `expect` in the answer
    when one is given. An existing folder of that name is returned as it is: a model is converted once.
    """
    gguf_file = Path(gguf_file).expanduser().resolve()
    if not gguf_file.is_file():
        raise NotFound(f"GGUF file {gguf_file} does not exist")
    if dtype not in DTYPES:
        raise DataError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    out = target(name or model_name(gguf_file))
    if (out / "config.json").is_file():
        return out
    info = metadata(gguf_file)
    source = source or Source(f"the GGUF file `{gguf_file.name}`", licence=str(info.get("license", "")))
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built beside its final place and renamed at the end: a half-written folder is never listed.
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        expected = convert(gguf_file, work, dtype, question, progress)
        _note(progress, 0.85, "checking the saved model against the GGUF file")
        answer = greedy_answer(work, question)
        # bf16 rounding may change a greedy answer; fp32 must match the GGUF model exactly.
        if dtype == "float32" and answer != expected:
            raise AlignUIError(f"the converted model answers {answer!r} where the GGUF file answers {expected!r}; "
                               "the conversion is wrong for this architecture")
        if expect not in answer:
            raise AlignUIError(f"the converted model answers {answer!r} to {question!r}, without {expect!r}")
        (work / "README.md").write_text(model_card(out.name, source, info, dtype, question, answer))
        work.chmod(0o755)  # mkdtemp made it private; a model folder is as readable as its neighbours
        work.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _note(progress, 1.0, f"saved {out}")
    return out


def convert(gguf_file: Path, out: Path, dtype: str, question: str = CHECK_QUESTION, progress=None) -> str:
    """Write the safetensors folder into `out`; return the GGUF model's own greedy answer to the check."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    folder, file = str(gguf_file.parent), gguf_file.name
    _note(progress, 0.1, f"reading {file}")
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file, dtype=torch.float32)
    except (ValueError, KeyError, OSError) as error:  # an architecture transformers cannot read from GGUF
        raise DataError(f"transformers cannot load {file} as a causal language model: {error}") from None
    if tokenizer.chat_template is None:
        raise DataError(f"{file} carries no chat template; alignui needs one to format conversations")
    expected = _greedy(loaded, tokenizer, question)

    _note(progress, 0.6, "rebuilding the model without its GGUF quantization flag")
    config = type(loaded.config).from_dict({k: v for k, v in loaded.config.to_dict().items()
                                            if k not in ("quantization_config", "_name_or_path")})
    config.dtype = dtype
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    del loaded
    model = model.to(getattr(torch, dtype))
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return expected


def greedy_answer(folder: Path, question: str = CHECK_QUESTION, tokens: int = CHECK_TOKENS) -> str:
    """A saved model's greedy answer to `question`, formatted with its own chat template."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, use_safetensors=True)
    return _greedy(model, tokenizer, question, tokens)


def _greedy(model, tokenizer, question: str = CHECK_QUESTION, tokens: int = CHECK_TOKENS) -> str:
    import torch

    inputs = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.no_grad():
        output = model.eval().generate(**inputs, max_new_tokens=tokens, do_sample=False,
                                       pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()


def model_card(name: str, source: Source, info: dict, dtype: str, question: str, answer: str) -> str:
    front = ["---", "library_name: transformers", "tags: [alignui, gguf-import]"]
    if source.licence:
        front.append(f"license: {source.licence.lower()}")
    if source.base_model:
        front.append(f"base_model: {source.base_model}")
    lines = front + [
        "---", "", f"# {name}", "",
        f"Converted by alignui from {source.description} to safetensors ({dtype}).",
        "The GGUF weights were dequantised, so they carry the file's quantization error: they are close to, "
        "not equal to, the original release.", "",
        f"- licence: {source.licence or 'not stated in the file; check before you share this model'}",
    ]
    if source.base_model:
        lines.append(f"- original model: {source.base_model}")
    lines += [f"- GGUF `general.{key}`: {info[key]}" for key in ("name", "architecture", "size_label") if key in info]
    lines += ["", f"Check: asked \"{question}\", it answers (greedy) \"{answer}\".", ""]
    return "\n".join(lines)


def _note(progress, fraction: float, message: str) -> None:
    if progress:
        progress(fraction, message)
