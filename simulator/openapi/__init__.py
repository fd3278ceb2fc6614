"""The OpenAPI 3.1 document, merged from one fragment per face (served by simulator.admin.docs)."""

from simulator.openapi.document import FragmentError, load_document, merge_fragments

__all__ = ["FragmentError", "load_document", "merge_fragments"]
