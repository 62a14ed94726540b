#!/bin/sh
# Helm 4 post-renderer plugin: runs `distroless-init --helm-plugin ARGS…`
# (Helm appends the --post-renderer-args). Which distroless-init:
# $DISTROLESS_INIT_BIN, else the package this plugin folder ships in
# (`helm plugin install DIR` symlinks the folder: resolve it), else the
# distroless-init command on PATH.
#
# Helm 4 does not show a plugin's stderr. In plugin mode distroless-init turns
# its own errors into a document that Helm refuses while quoting the message;
# a failure it cannot handle itself (an unknown option, a missing command) is
# turned into the same document here. See docs/integrations.md.
here=$(dirname "$(readlink -f "$0")")
pkg_bin="$here/../../../bin/distroless-init.js"

run() {
  if [ -n "${DISTROLESS_INIT_BIN:-}" ]; then
    "$DISTROLESS_INIT_BIN" --helm-plugin "$@"
  elif [ -f "$pkg_bin" ] && command -v node >/dev/null 2>&1; then
    # the flags of the bin's shebang: its code cache is made under them, and --expose-gc keeps memory flat
    node --max-semi-space-size=2 --expose-gc "$pkg_bin" --helm-plugin "$@"
  elif command -v distroless-init >/dev/null 2>&1; then
    distroless-init --helm-plugin "$@"
  else
    echo "the distroless-init command was not found (npm install -g distroless-init, or set DISTROLESS_INIT_BIN)" >&2
    return 127
  fi
}

out=$(mktemp) && err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT
if run "$@" >"$out" 2>"$err"; then
  cat "$out"
  cat "$err" >&2
  exit 0
fi
cat "$err" >&2
msg=$(grep -v '^[[:space:]]*$' "$err" | head -n 3 | tr '\n' ' ' | sed -e 's/^distroless-init: //' -e 's/[[:space:]]*$//' -e 's/\\/\\\\/g' -e 's/"/\\"/g')
cat <<DOC
# distroless-init could not run; Helm 4 does not show a plugin's stderr, so the
# error travels in the file name annotation that Helm quotes when it refuses this.
apiVersion: distroless-init.io/v1alpha1
kind:
  error: distroless-init failed, see the message above
metadata:
  name: distroless-init-error
  annotations:
    postrenderer.helm.sh/postrender-filename: "distroless-init failed: ${msg:-exited with an error and no message}"
DOC
exit 0
