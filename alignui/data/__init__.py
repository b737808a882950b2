"""The data studio: read feedback data in the shape a team collected it and make it TRL-ready.

The flow, one module per step:
- formats: read JSONL, JSON, CSV/TSV, Parquet and save_to_disk folders into numbered records
- aliases: rename the fields teams use (instruction, response, thumbs_up, ...) to TRL's names
- detect: tell the dataset type and style from the fields
- validate: check each record and normalise it to a TRL-ready row
- stats: counts, label balance, duplicates, near-identical pairs, lengths, warnings
- report: all of the above in one pass (`inspect_file`, `load_file`)
- convert, split, export: change type, hold out a validation split, write JSONL (`convert_file`)
- catalog: save normalised copies under a name; `resolve` gives training a TRL-ready file
"""
