from alignui import model_choices, settings


def test_the_demo_model_comes_first():
    label, value = model_choices.choices()[0]
    assert label.startswith("demo:")
    assert model_choices.is_model_folder(model_choices.demo_model())
    assert value == str(model_choices.demo_model())


def test_folders_in_the_models_home_are_offered(tiny_model):
    target = settings.models_dir() / "my-tiny"
    target.mkdir(parents=True)
    for item in tiny_model.iterdir():
        (target / item.name).write_bytes(item.read_bytes())
    (settings.models_dir() / "not-a-model").mkdir()
    values = [value for _, value in model_choices.choices()]
    assert str(target) in values
    assert str(settings.models_dir() / "not-a-model") not in values


def test_models_in_the_hugging_face_cache_are_found(tmp_path):
    snapshot = tmp_path / "hub" / "models--acme--tiny" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "hub" / "models--acme--tiny" / "refs").mkdir()
    (tmp_path / "hub" / "models--acme--tiny" / "refs" / "main").write_text("abc123")
    assert model_choices.cached_models(tmp_path / "hub") == ["acme/tiny"]


def test_a_missing_cache_means_no_cached_models(tmp_path):
    assert model_choices.cached_models(tmp_path / "nowhere") == []


def test_suggested_hub_models_are_offered_for_download():
    values = [value for _, value in model_choices.choices()]
    assert all(repo in values for repo in model_choices.SUGGESTED)
