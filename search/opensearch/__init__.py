"""The OpenSearch backend's reading side: query translation, search, research endpoints.

Only this package (and `indexer.opensearch` for writing) talks to OpenSearch.
"""
