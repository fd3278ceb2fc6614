"""The OpenAPI 3.1 document, merged from one fragment per face, and its /_sim views."""

from simulator.openapi.document import FragmentError, load_document, merge_fragments
from simulator.openapi.views import docs_view, openapi_view

__all__ = ["FragmentError", "docs_view", "load_document", "merge_fragments", "openapi_view"]
