"""Training jobs: the job engine (jobs, queue, supervisor, launcher), the entry point that builds the
TRL trainer, metrics, the model card and the doctor. The spec they run is `alignui.recipe.spec`."""
