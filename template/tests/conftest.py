# The registry and Trivy DB fixtures, shared by the pipeline's and the workflows' runs.
from template.tests.support.registry import registry, trivy_cache, trivy_db  # noqa: F401
