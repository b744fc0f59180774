"""The service-guide catalogue: schema, loading, validation, checklists, import and export.

Knows nothing of Rasa or HTTP.
"""
