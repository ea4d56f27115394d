"""Case builders: the inputs and reference outputs of each fixture topic's tests.

One module per topic, named like the selfcheck topic that reads its fixtures;
each has ``build(case, seed) -> {'<function>/<field>': array}``. They run only
in the instructor's process (make_fixtures.py, the grader's hidden cases) and
import the reference package; nothing here ships to students.
"""
