"""The Compare arena: load the reference and the aligned model, stream both answers side by side,
record votes and thumbs, and turn them into the next training dataset."""
