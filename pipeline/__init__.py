"""The pipeline's decisions (tags, lock freshness, release immutability, scan verdict), kept in
Python with unit tests; scripts/ only glues the stages together."""


class PipelineError(Exception):
    """A refusal with a one-line message that names the fix."""
