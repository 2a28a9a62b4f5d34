"""The RDS certificate authority bundle clients verify database certificates against.

AWS publishes it per region (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html);
`make rds-ca-bundle REGION=<region>` downloads it to ``certs/rds-ca/<region>-bundle.pem``. It is a trust
anchor, so it is fetched from AWS, never copied from elsewhere. Without it, database clients still
require TLS (the servers force it) but cannot verify the server certificate.
"""

from __future__ import annotations

import re
from pathlib import Path

BUNDLE_DIR = Path("certs") / "rds-ca"
"""Where bundles live, relative to the project directory (the program's working directory)."""


PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")
"""At least one PEM certificate."""


def is_pem_bundle(text: str) -> bool:
    """True when ``text`` holds at least one PEM certificate."""
    return PEM_CERTIFICATE.search(text) is not None


def bundle_path(region: str) -> Path:
    """Path of a region's bundle."""
    return BUNDLE_DIR / f"{region}-bundle.pem"


def read_bundle(region: str) -> str | None:
    """The region's PEM bundle, or None when it has not been fetched.

    Raises ValueError when the file exists but holds no certificate (a failed download, an HTML page).
    """
    path = bundle_path(region)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if not is_pem_bundle(text):
        raise ValueError(f"{path}: not a PEM certificate bundle; fetch it again with `make rds-ca-bundle`")
    return text
