"""The algorithm advisor: which algorithm fits, and whether it fits in memory.

- `checklist`: the article's selection checklist as ranking rules (`Situation` -> `Advice`).
- `advice`: the answer: ranked `Recommendation`s with reasons, needs and presets, and rejections.
- `conversions`: which algorithm can use which data, and the conversion it needs.
- `memory`: peak GPU memory per run, fits / does not fit, and what would make it fit.
- `catalog`: what the advisor reads from saved datasets.
- `plots`: loss, gradient and value curves for the chosen betas.

Presets, ranges, the form and recipes live one layer down, in `alignui.recipe`.
Nothing here imports gradio; torch and transformers are imported only where needed.
"""
