#!/usr/bin/env python
"""Django's manage.py; the ``careloop`` console command does the same."""

from careloop.cli import main

if __name__ == "__main__":
    main()
