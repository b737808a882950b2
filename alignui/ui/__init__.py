"""The web UI: one module per tab, each wiring components to core functions, no logic of its own."""
