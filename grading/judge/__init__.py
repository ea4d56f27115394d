"""Judge: the trusted side of grading (tests, hidden cases, sessions with a sandboxed worker)."""
