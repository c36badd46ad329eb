"""The OpenSearch backend's writing side: index template, documents, writer, CLI.

Only this package (and `search.opensearch` for reading) talks to OpenSearch.
"""
