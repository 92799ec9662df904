import pytest

from pipeline import PipelineError
from pipeline.images import fingerprint, same_image

INSPECT = [{"Id": "sha256:1", "RootFS": {"Type": "layers", "Layers": ["sha256:a", "sha256:b"]},
            "Config": {"Cmd": ["gunicorn"], "Env": ["NAME=World"], "User": "10001:10001",
                       "Labels": {"org.opencontainers.image.version": "1.2.3"}}}]
OCI = {"created": "2026-01-01T00:00:00Z", "history": [{"created_by": "RUN x"}],
       "rootfs": {"type": "layers", "diff_ids": ["sha256:a", "sha256:b"]},
       "config": {"Cmd": ["gunicorn"], "Env": ["NAME=World"], "User": "10001:10001",
                  "Labels": {"org.opencontainers.image.version": "1.2.3"}, "Entrypoint": []}}


def test_docker_inspect_and_oci_config_agree():
    assert fingerprint(INSPECT) == fingerprint(OCI)  # timestamps and history do not count
    same_image(INSPECT, OCI)


@pytest.mark.parametrize(("change", "named"), [
    (lambda oci: oci["rootfs"]["diff_ids"].append("sha256:c"), "layers"),
    (lambda oci: oci["config"].update(Env=["NAME=Other"]), "Env"),
    (lambda oci: oci["config"].update(User="root"), "User"),
])
def test_any_difference_is_refused_and_named(change, named):
    import copy

    pushed = copy.deepcopy(OCI)
    change(pushed)
    with pytest.raises(PipelineError, match=rf"not the scanned one \({named} differ\)"):
        same_image(INSPECT, pushed)


def test_nothing_to_compare_is_refused():
    with pytest.raises(PipelineError, match="no layers"):
        same_image({}, {})
