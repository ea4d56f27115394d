"""The instructor side of cs231n-lite, in wings by job and by trust (docs/wings.md).

    release/    the course directory, stripping, leak check, grade cells, samples
    judge/      the trusted tests, sessions with the sandbox, hidden cases
    sandbox/    host side of the sandbox; sandbox/untrusted/ runs next to student code
    gradebook/  nbgrader glue: the plugin, the recorder, autograde, feedback export
    classwide/  whole-class work: parallel grading, the class report

sandbox/untrusted/ imports only the standard library, numpy and itself:
it is the one part of this package that student code can reach.
"""
