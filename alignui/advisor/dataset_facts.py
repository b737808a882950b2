"""What the advisor reads from the data studio's catalog: the type, the size, the label balance."""

from dataclasses import dataclass

from alignui.data import catalog as data_catalog


@dataclass
class DatasetFacts:
    """A dataset, as far as the advisor cares."""

    name: str
    """The saved dataset's name, or the data file's path."""
    type: str
    """The detected dataset type."""
    rows: int
    label_counts: tuple[int, int] | None = None
    """(desirable, undesirable) rows of binary feedback, when the stats record them."""


def saved_datasets() -> list[str]:
    """Names of the saved datasets, newest first."""
    return [entry.name for entry in data_catalog.list_entries()]


def dataset_facts(name_or_path: str) -> DatasetFacts:
    """Facts about a saved dataset, or a data file (read and detected the way the data studio does)."""
    entry = data_catalog.lookup(name_or_path)
    return DatasetFacts(entry.name or name_or_path, entry.type, entry.rows, label_counts(entry.stats))


def label_counts(stats: dict) -> tuple[int, int] | None:
    """(desirable, undesirable) from the data studio's `label_balance` stats."""
    balance = (stats or {}).get("label_balance") or {}
    good, bad = balance.get("desirable"), balance.get("undesirable")
    return (good, bad) if isinstance(good, int) and isinstance(bad, int) else None
