# shellcheck shell=bash disable=SC2034  # engine_hint is read by the scripts that source this
# Where to get the engine and its tools: the template's `make engine` (Debian) while it is here;
# once adopted, the engine's and each tool's own install guide.
engine_hint=""
[ ! -f template/template.mk ] || engine_hint=" (on Debian: make engine)"
