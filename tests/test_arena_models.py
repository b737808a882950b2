"""Loading the arena's models: folders, hub ids, finished jobs, LoRA adapters over one base, the cache,
and the safety rules. Also the model builders the other arena, feedback and evaluation tests use."""

from pathlib import Path

import pytest

from alignui import store
from alignui.arena import generate, models
from alignui.errors import DataError, NotFound

GREEDY = generate.Sampling(temperature=0.0, max_new_tokens=8)
SAMPLED = generate.Sampling(temperature=1.0, top_p=1.0, seed=7, max_new_tokens=12)
HELLO = [{"role": "user", "content": "Tell me something."}]


# ----- builders -----

def build_distinct_llama(folder: Path, seed: int) -> Path:
    """A tiny model whose answers differ from other seeds' even when they sample with one seed.

    Small random models give nearly uniform next-token distributions, so two of them sampling with
    the same seed pick the same tokens; a large untied output layer makes each one's choices its own.
    """
    import torch
    from tiny import build_tiny_llama
    from transformers import AutoModelForCausalLM

    build_tiny_llama(folder, seed=seed)
    model = AutoModelForCausalLM.from_pretrained(folder)
    torch.manual_seed(seed)
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(torch.randn_like(model.lm_head.weight))
    model.save_pretrained(folder)
    return folder


def built_once(tmp_path_factory, name: str, build) -> Path:
    """`build(folder)` into a folder of the test session, once: modules that import a fixture from
    here get their own copy of it, and this keeps them from building the same model again."""
    folder = tmp_path_factory.getbasetemp() / "arena-models" / name
    if not (folder / ".built").exists():
        folder.mkdir(parents=True, exist_ok=True)
        build(folder)
        (folder / ".built").touch()
    return folder


def build_adapter(base: Path, folder: Path, seed: int = 0) -> Path:
    """A LoRA adapter over `base` with large random weights, so it clearly changes the answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=4, lora_alpha=16, target_modules="all-linear", init_lora_weights=False)
    adapted = get_peft_model(model, config)
    for name, parameter in adapted.named_parameters():
        if "lora_" in name:
            parameter.data.normal_(0, 0.5)
    adapted.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base).save_pretrained(folder)
    return folder


def build_reward_model(folder: Path, seed: int = 0) -> Path:
    """A tiny one-output sequence-classification model with the tiny tokenizer and chat template."""
    import torch
    from tiny import build_tokenizer
    from transformers import LlamaConfig, LlamaForSequenceClassification

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(folder)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         pad_token_id=tokenizer.pad_token_id, num_labels=1)
    LlamaForSequenceClassification(config).save_pretrained(folder)
    return folder


def train_answerer(folder: Path, answers: dict[str, str], seed: int = 0, max_steps: int = 300) -> Path:
    """A tiny chat model taught to give exactly `answers[prompt]` to each prompt (greedy decoding)."""
    import torch
    from tiny import build_tiny_llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    build_tiny_llama(folder, seed=seed)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    rows = []
    for prompt, answer in answers.items():
        head = tokenizer.apply_chat_template([{"role": "user", "content": prompt}],
                                             add_generation_prompt=True, tokenize=False)
        prompt_ids = tokenizer(head, add_special_tokens=False).input_ids
        rows.append((tokenizer(head + answer + tokenizer.eos_token, add_special_tokens=False).input_ids,
                     len(prompt_ids)))
    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_token_id)
    labels = torch.full_like(ids, -100)
    mask = torch.zeros_like(ids)
    for row, (tokens, start) in enumerate(rows):
        ids[row, :len(tokens)] = torch.tensor(tokens)
        mask[row, :len(tokens)] = 1
        labels[row, start:len(tokens)] = torch.tensor(tokens[start:])  # learn the answer only
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    torch.manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains fastest on one core, and a busy machine hurts less
    try:
        _fit(model, optimizer, ids, mask, labels, max_steps)
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(folder)
    return folder


def _fit(model, optimizer, ids, mask, labels, max_steps: int) -> None:
    for _ in range(max_steps):
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        predicted, targets = out.logits[:, :-1].argmax(-1), labels[:, 1:]
        if (predicted == targets)[targets != -100].all():  # greedy decoding now says each answer
            break
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def add_finished_job(output_dir: Path, db=None, algorithm: str = "dpo", status: str = "succeeded") -> int:
    """A jobs-table row as the training engine leaves it when a job has finished."""
    db = db or store.connect()
    return db["jobs"].insert({"status": status, "algorithm": algorithm, "model": "tiny", "dataset": "d",
                              "output_dir": str(output_dir), "created_at": store.now()}).last_pk


@pytest.fixture(scope="session")
def aligned_model(tmp_path_factory):
    """A second tiny model whose answers differ from `tiny_model`'s."""
    return built_once(tmp_path_factory, "aligned", lambda folder: build_distinct_llama(folder, seed=1))


@pytest.fixture(scope="session")
def lora_adapter(tiny_model, tmp_path_factory):
    """A LoRA adapter over `tiny_model`."""
    return built_once(tmp_path_factory, "adapter", lambda folder: build_adapter(tiny_model, folder))


def answers(*sides, sampling=GREEDY, messages=HELLO) -> list[str]:
    return generate.complete([generate.Request(side, messages) for side in sides], sampling)


# ----- resolving -----

def test_a_folder_resolves_to_a_full_model(tiny_model):
    source = models.resolve(str(tiny_model))
    assert source.path == str(Path(tiny_model).resolve()) and source.base is None and source.job_id is None


def test_an_adapter_folder_resolves_with_its_base(tiny_model, lora_adapter):
    source = models.resolve(str(lora_adapter))
    assert Path(source.base).resolve() == Path(tiny_model).resolve()


def test_a_finished_job_resolves_to_its_output_folder(lora_adapter):
    job = add_finished_job(lora_adapter)
    for choice in (f"job:{job}", f"job {job}", str(job)):
        source = models.resolve(choice)
        assert (source.id, source.job_id, source.path) == (f"job:{job}", job, str(Path(lora_adapter).resolve()))
    assert models.finished_jobs() == [(f"job {job} · dpo · trained from tiny", f"job:{job}")]


def test_unfinished_missing_and_unknown_models_are_refused(tmp_path):
    running = add_finished_job(tmp_path, status="running")
    with pytest.raises(NotFound, match="running"):
        models.resolve(f"job:{running}")
    with pytest.raises(NotFound, match="no job 99"):
        models.resolve("job:99")
    with pytest.raises(NotFound, match="neither"):
        models.resolve("/no/such/folder")
    with pytest.raises(NotFound, match="pick a model"):
        models.resolve("  ")


def test_a_hub_id_is_kept_as_it_is():
    assert models.resolve("Qwen/Qwen2.5-0.5B-Instruct").path == "Qwen/Qwen2.5-0.5B-Instruct"


def test_an_adapter_without_a_base_is_a_data_error(tmp_path):
    (tmp_path / "adapter_config.json").write_text("{}")
    with pytest.raises(DataError, match="base_model_name_or_path"):
        models.resolve(str(tmp_path))


# ----- loading -----

def test_a_lora_job_and_its_base_share_one_model_in_memory(tiny_model, lora_adapter):
    job = add_finished_job(lora_adapter)
    reference, aligned = models.load_pair(str(tiny_model), f"job:{job}")
    assert reference.loaded is aligned.loaded
    assert (reference.adapter, aligned.adapter) == (models.BASE_ONLY, models.ADAPTER)
    assert aligned.source.job_id == job


def test_the_adapter_changes_the_answer_and_the_reference_side_is_the_bare_base(tiny_model, lora_adapter):
    reference, aligned = models.load_pair(str(tiny_model), str(lora_adapter))
    with_adapter, without = answers(aligned, reference, sampling=SAMPLED)
    assert with_adapter != without
    base_alone = models.load_side(str(tiny_model))
    assert base_alone.loaded is not reference.loaded
    assert answers(base_alone, sampling=SAMPLED) == [without]


def test_different_models_load_separately(tiny_model, aligned_model):
    reference, aligned = models.load_pair(str(tiny_model), str(aligned_model))
    assert reference.loaded is not aligned.loaded
    assert reference.adapter is None and aligned.adapter is None


def test_loaded_models_are_cached_and_the_oldest_is_dropped(tmp_path, monkeypatch):
    from tiny import build_tiny_llama

    monkeypatch.setattr(models, "_cache", type(models._cache)())
    monkeypatch.setattr(models, "CACHE_SIZE", 2)
    folders = [build_tiny_llama(tmp_path / str(i), seed=i) for i in range(3)]
    first = models.load_side(str(folders[0])).loaded
    assert models.load_side(str(folders[0])).loaded is first
    models.load_side(str(folders[1]))
    models.load_side(str(folders[2]))
    assert models.load_side(str(folders[0])).loaded is not first


def test_pickled_weights_are_refused(tiny_model, tmp_path):
    import shutil

    import torch
    from safetensors.torch import load_file

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_model, folder)
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(NotFound, match="safetensors"):
        models.load_side(str(folder))


def test_remote_code_runs_only_when_the_operator_allows_it(monkeypatch):
    monkeypatch.delenv(models.TRUST_REMOTE_CODE_ENV, raising=False)
    assert models.trust_remote_code() is False
    monkeypatch.setenv(models.TRUST_REMOTE_CODE_ENV, "true")
    assert models.trust_remote_code() is False
    monkeypatch.setenv(models.TRUST_REMOTE_CODE_ENV, "1")
    assert models.trust_remote_code() is True


def test_labels_name_the_job_and_what_it_trained_from(tmp_path, lora_adapter):
    db = store.connect()
    first = db["jobs"].insert({"status": "succeeded", "algorithm": "dpo", "model": "base", "dataset": "d",
                               "run_dir": str(tmp_path / "runs" / "1"), "output_dir": str(lora_adapter),
                               "created_at": store.now()}).last_pk
    second = db["jobs"].insert({"status": "succeeded", "algorithm": "kto", "dataset": "d",
                                "model": str(tmp_path / "runs" / "1" / "model"), "output_dir": str(lora_adapter),
                                "created_at": store.now()}).last_pk
    assert models.finished_jobs()[0] == (f"job {second} · kto · trained from job {first}'s model", f"job:{second}")
    demo = models.resolve(str(Path(__file__).parent.parent / "assets" / "demo" / "model"))
    assert demo.label == "demo/model"
