#!/usr/bin/env bash
# Packs LitGen and its dotnet new templates from this checkout into a local NuGet feed and installs the templates, so
# that `dotnet new litgen-app -n MyModel --local-feed <feed>` makes an app that restores LitGen from that feed.
# usage: scripts/install-from-source.sh [feed folder]   (default: ~/.litgen/feed)
set -euo pipefail
cd "$(dirname "$0")/.."
feed="${1:-$HOME/.litgen/feed}"
mkdir -p "$feed"
feed="$(cd "$feed" && pwd)"
version="$(sed -n 's:.*<LitGenVersion>\(.*\)</LitGenVersion>.*:\1:p' Directory.Build.props)"

dotnet pack src/LitGen.Runtime -c Release -o "$feed" -p:Version="$version"
dotnet pack src/LitGen.Templates -c Release -o "$feed" -p:Version="$version"
# A package of the same version restored before would be served from the NuGet cache instead of this pack.
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$packages/litgen/$version" "$packages/litgen.templates/$version"

# LITGEN_TEMPLATE_HIVE installs into a template hive of its own (the tests use it to leave the user's alone).
hive=()
if [ -n "${LITGEN_TEMPLATE_HIVE:-}" ]; then hive=(--debug:custom-hive "$LITGEN_TEMPLATE_HIVE"); fi
dotnet new install "$feed/LitGen.Templates.$version.nupkg" --force "${hive[@]}"

echo
echo "LitGen $version is packed in $feed and its templates are installed. Create an app that restores from the feed:"
echo "  dotnet new litgen-app -n MyModel --local-feed $feed"
