"""cs231n-lite: Training Neural Networks, Part I, in numpy.

Graded modules (the functions students write): layers (activations, dropout),
preprocess, init, normalization, babysit, hyperopt, optim, regularization.
Given: basics (affine layer, softmax loss), gradient_check, solver,
classifiers.fc_net, training, data, vis, measure, notebook_setup (the setup cell), experiment_checks
(the checks of the notebooks' student experiments).
selfcheck holds the tests shared by students and the grader.
"""
__version__ = "0.1.0"
