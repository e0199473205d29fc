"""Traceability: the Strategy's provisions (`provisions`), which clauses encode each one
(`coverage`), and the catalogue of clauses that `list` and `explain` show (`catalog`)."""
