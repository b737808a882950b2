"""alignui: a browser studio for aligning language models with DPO, KTO and friends."""

__version__ = "0.1.0"
