"""The algorithm advisor and hyperparameter studio.

- `checklist`: the article's selection checklist as ranking rules (`Situation` -> `Advice`).
- `advice`: the answer: ranked `Recommendation`s with reasons, needs and presets, and rejections.
- `conversions`: which algorithm can use which data, and the conversion it needs.
- `presets`: hyperparameters per algorithm from the article's tables.
- `ranges`: every field's help text and valid range, and the check that refuses bad values.
- `memory`: peak GPU memory per run, fits / does not fit, and what would make it fit.
- `model_info`: a model's size and SFT hints, read from its config.
- `form`: the hyperparameter form's fields, to and from a TrainSpec.
- `catalog`: what the advisor reads from saved datasets.
- `plots`: loss, gradient and value curves for the chosen betas.
- `recipe`: recipes as YAML, exported as a TRL script and a `trl` CLI config.

Nothing here imports gradio; torch and transformers are imported only where needed.
"""
