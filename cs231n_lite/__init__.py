"""cs231n-lite: Training Neural Networks, Part I, in numpy.

Modules: layers, gradient_check, optim, solver, classifiers.fc_net, data,
vis, measure; selfcheck holds the tests shared by students and the grader.
"""
__version__ = "0.1.0"
