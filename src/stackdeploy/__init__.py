"""stackdeploy: infrastructure as code for AWS."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stackdeploy")  # pyproject.toml's version, the one source
except PackageNotFoundError:  # the source tree on sys.path, never installed
    __version__ = "0+unknown"
