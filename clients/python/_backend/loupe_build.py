"""A PEP 517 build backend for the two-module client: writes the wheel straight into the folder pip gives it, so an
install leaves nothing in the checkout (no build/, no *.egg-info) and needs no build dependency from the network."""

import base64
import hashlib
import os
import sys
import zipfile

sys.dont_write_bytecode = True

NAME, VERSION = "loupe_client", "0.1.0"
MODULES = ["loupe.py", "loupe_trace.py"]
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = f"{NAME}-{VERSION}.dist-info"
METADATA = f"""Metadata-Version: 2.1
Name: loupe-client
Version: {VERSION}
Summary: Notebook client for a Loupe server: a transformer's internals over HTTP as numpy arrays, and traces
Requires-Python: >=3.9
Requires-Dist: numpy
"""
WHEEL = "Wheel-Version: 1.0\nGenerator: loupe_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def _files():
    out = [(m, open(os.path.join(HERE, m), "rb").read()) for m in MODULES]
    out += [(f"{DIST}/METADATA", METADATA.encode()), (f"{DIST}/WHEEL", WHEEL.encode())]
    return out


def _write(wheel_directory, files):
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{DIST}/RECORD,,")
        z.writestr(f"{DIST}/RECORD", "\n".join(record) + "\n")
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write(wheel_directory, _files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """An editable install: a .pth file pointing at this folder."""
    files = [(f"{NAME}.pth", (HERE + "\n").encode()), (f"{DIST}/METADATA", METADATA.encode()), (f"{DIST}/WHEEL", WHEEL.encode())]
    return _write(wheel_directory, files)
