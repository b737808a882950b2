"""Hostile inputs shared by the tests: the alias bomb, deeply nested JSON."""


def alias_bomb_recipe() -> str:
    """A 464-byte recipe whose nested aliases expand to about 10^9 strings ("billion laughs")."""
    lines = ["algorithm: dpo", "model: m", "dataset: d", "args:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for previous, name in zip(names, names[1:]):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines)


def nested_json(depth: int) -> str:
    """One JSON object nested `depth` levels deep."""
    return '{"prompt": ' * depth + '"x"' + "}" * depth
