"""Broadsheet's side-by-side benchmark (issue 7): see bench/README.md. Not part of the tests."""
