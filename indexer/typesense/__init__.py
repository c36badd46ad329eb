"""The Typesense backend's writing side: collection schema, HTTP client, writer, CLI.

Only this package (and `search.typesense` for reading) talks to Typesense; the rest of
`indexer` reaches it through `indexer.cli`'s ``typesense`` commands.
"""
