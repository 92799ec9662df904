"""Realistic ways to break the workflows, each with the test that must then fail: a policy rule
(policy.py), a zizmor audit, or an executed scenario (test_runs.py, with the
mutation applied to the copy it runs). test_mutations.py proves each one fails."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str  # under the repository root
    old: str
    new: str
    caught_by: str  # policy:<rule>, zizmor:<audit> or run:<test in test_runs.py>


IMAGE, RELEASE, CI = ".github/workflows/image.yml", ".github/workflows/release.yml", \
    ".github/workflows/ci.yml"

MUTATIONS = [
    # Found by the review: the first push to main and the first release went red.
    Mutation("records-by-folder-pattern", IMAGE, 'scripts/publish.sh "$RUNNER_TEMP/records"',
             'scripts/publish.sh "$RUNNER_TEMP"/records/run-record-*/run.json',
             "run:test_push_to_main_tags_exactly_the_scanned_digest"),
    Mutation("release-created-twice", RELEASE,
             '          if gh release view "$GITHUB_REF_NAME" --repo "$GITHUB_REPOSITORY" '
             '>/dev/null; then\n',
             '          if false; then\n',
             "run:test_a_private_release_is_tagged_signed_with_its_key_and_released_then_reruns"
             "_as_a_noop"),
    # A gate that cannot fail, a step that lost its guard, a job that lost its order.
    Mutation("scan-cannot-fail", IMAGE, "        run: scripts/scan.sh\n",
             "        run: scripts/scan.sh || true\n",
             "run:test_a_vulnerable_lock_on_main_stops_at_the_scan_and_tags_nothing"),
    Mutation("fork-uploads-sarif", IMAGE,
             "          HEAD_REPOSITORY: ${{ github.event.pull_request.head.repo.full_name }}\n",
             "", "run:test_a_pull_request_is_tested_and_nothing_is_pushed[fork]"),
    Mutation("one-artifact-name-for-every-platform", IMAGE,
             "          name: run-record-${{ matrix.arch }}\n", "          name: run-record\n",
             "run:test_a_two_platform_push_to_main_tags_both_scanned_digests"),
    Mutation("release-never-asks-to-sign", RELEASE, "      sign: true\n", "",
             "run:test_a_private_release_without_a_signing_key_stops_before_anything_is_built"),
    Mutation("attest-the-index", RELEASE,
             "          subject-digest: ${{ steps.subject.outputs.digest }}\n"
             "          sbom-path:",
             "          subject-digest: ${{ needs.image.outputs.digest }}\n"
             "          sbom-path:",
             "run:test_a_public_two_platform_release_attests_and_signs_each_platform_manifest"
             "_keyless"),
    Mutation("image-without-check", IMAGE,
             "    if: ${{ !inputs.push }}\n    needs: [settings, check]\n",
             "    if: ${{ !inputs.push }}\n    needs: [settings]\n", "policy:build_after_check"),
    Mutation("pull-requests-build-with-write-scopes", IMAGE,
             "      contents: read  # checkout\n    env: &image-env\n",
             "      contents: read  # checkout\n      packages: write\n    env: &image-env\n",
             "policy:no_write_scope_for_code_under_test"),
    Mutation("release-always", RELEASE,
             "      ${{ !cancelled() && needs.image.result == 'success' &&\n",
             "      ${{ always() && needs.image.result == 'success' &&\n",
             "policy:nothing_after_a_failure"),
    Mutation("publish-on-the-schedule", CI,
             "      push: ${{ github.event_name == 'push' }}",
             "      push: ${{ github.event_name != 'pull_request' }}",
             "policy:no_push_on_pull_request"),
    Mutation("login-on-pull-requests", IMAGE, "      - &login\n        if: ${{ inputs.push }}\n",
             "      - &login\n", "policy:no_push_on_pull_request"),
    Mutation("deploy-pull-requests", CI,
             "  staging:\n    needs: pipeline\n    if: ${{ github.event_name == 'push' }}\n",
             "  staging:\n    needs: pipeline\n", "policy:no_push_on_pull_request"),
    Mutation("publish-on-pull-requests", IMAGE,
             "    name: Tag the tested digests\n    if: ${{ inputs.push }}\n",
             "    name: Tag the tested digests\n", "policy:no_push_on_pull_request"),
    Mutation("sarif-without-actions-read", IMAGE,
             "      actions: read  # upload-sarif reads the run (a private repository's token "
             "needs this)\n", "", "policy:sarif_can_read_the_run"),
    Mutation("trivy-by-hand", IMAGE,
             "          version: ${{ needs.settings.outputs.trivy }}  # zizmor",
             "          version: v0.76.0  # zizmor",
             "policy:trivy_matches_the_lock"),
    Mutation("cancel-main", CI,
             "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}",
             "  cancel-in-progress: true", "policy:concurrency"),
    Mutation("credentials-kept", IMAGE, "        with:\n          persist-credentials: false\n",
             "", "zizmor:artipacked"),
]
