# The registry and Trivy DB fixtures, shared by the pipeline's and the workflows' runs. The image's
# test stage holds tests/app alone, so nothing here may be needed by the app's tests.
pytest_plugins = ["tests.support.registry"]
