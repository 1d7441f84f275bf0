"""leadflow: B2B outreach on top of Zoho CRM and GoHighLevel."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadflow")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
