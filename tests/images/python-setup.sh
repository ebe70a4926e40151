#!/bin/sh
# Shared by python:3.11 and python:3.11-slim so a venv made in one runs in the other:
# both use Debian's /usr/bin/python3.11 and the same command links.
set -eu
python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'
# Behave like the official images: `pip install` outside a venv is allowed.
rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
ln -sf /usr/bin/python3 /usr/local/bin/python
ln -sf /usr/bin/pip3 /usr/local/bin/pip
ln -sf /usr/bin/pip3 /usr/local/bin/pip3.11
python -m venv --help >/dev/null
pip --version
