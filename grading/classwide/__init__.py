"""Classwide: grading and reporting on a whole class (parallel verdicts, the class report)."""
