"""The Typesense backend's reading side: `TypesenseSearchService` and its query and
response mappings. `search.backends.service_from_config` is the only way in."""

from search.typesense.backend import TypesenseSearchService

__all__ = ["TypesenseSearchService"]
