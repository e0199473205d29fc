"""Documents: bytes to an exact, positioned, schema-valid `Document`.

`document` loads YAML or JSON (`yaml_reader`, `json_reader`) within `limits`, refusing
with `problems`; `yaml11` flags YAML 1.1 readings that surprise; `validation` checks a
document against its kind's JSON Schema. Only this module's names are public.
"""

from .document import (
    DEFAULT_LIMITS, Document, DocumentError, Limits, Problem, as_document, date_of, document_id, load_bytes, load_file,
    load_text, not_a_regular_file, read_at_most, read_file, read_limited, special_file,
)

__all__ = ["DEFAULT_LIMITS", "Document", "DocumentError", "Limits", "Problem", "as_document", "date_of", "document_id",
           "load_bytes", "load_file", "load_text", "not_a_regular_file", "read_at_most", "read_file",
           "read_limited", "special_file"]
