"""Is the image a registry holds the image that was scanned? Compared by what was scanned: the
layers' content (diff IDs) and the run-time configuration, not by bytes a builder may rewrite
(history timestamps, exporter details)."""

from pipeline import PipelineError

RUNTIME = ("Cmd", "Entrypoint", "Env", "ExposedPorts", "Labels", "User", "WorkingDir")


def platform_manifest(document, platform):
    """The manifest of `platform` in an index; None when `document` is already a manifest."""
    if "manifests" not in document:
        return None
    for entry in document["manifests"]:
        found = entry.get("platform", {})
        if f"{found.get('os')}/{found.get('architecture')}" == platform:
            return entry["digest"]
    raise PipelineError(f"the index has no {platform} image")


def fingerprint(document):
    """Layers and run-time config, from `docker image inspect` or from an OCI image config."""
    if isinstance(document, list):  # `docker image inspect` prints a list
        (document,) = document
    layers = (document.get("RootFS") or document.get("rootfs") or {})
    config = document.get("Config") or document.get("config") or {}
    return {"layers": layers.get("Layers") or layers.get("diff_ids") or [],
            **{key: config.get(key) or None for key in RUNTIME}}


def same_image(scanned, pushed):
    expected, actual = fingerprint(scanned), fingerprint(pushed)
    if not expected["layers"]:
        raise PipelineError("the scanned image has no layers: nothing to compare")
    differ = [key for key in expected if expected[key] != actual[key]]
    if differ:
        raise PipelineError(
            f"the pushed image is not the scanned one ({', '.join(differ)} differ): "
            "refusing to publish it"
        )
