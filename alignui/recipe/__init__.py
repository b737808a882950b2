"""The run spec, the bottom layer that the advisor, training, the UI and the CLI all build on.

- `spec`: TrainSpec (with LoraSpec and HardwareSpec), the one object that describes a training run.
- `validate`: the one check of a spec, through TRL's own argument parser; every problem in one error.
- `ranges`: every tunable field's help, valid range and the article's advice.
- `presets`: hyperparameters per algorithm from the article's tables (and the demo's measured rates).
- `form`: the run form's fields, to and from a TrainSpec (the Algorithm and Train tabs share it).
- `assignments`: FIELD=VALUE settings (`--set`, the form's "more fields").
- `recipe_file`: recipes (a TrainSpec as YAML) saved and loaded.
- `trl_export`: a recipe as a plain TRL script and a `trl` CLI config.

Nothing here imports the advisor, training or gradio.
"""
