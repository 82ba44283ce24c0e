#!/usr/bin/env python
"""Django's manage.py; the `carebond` command is the friendlier front door to the same commands."""

from carebond.cli import main

if __name__ == "__main__":
    main()
