#!/usr/bin/env bash
# Runs the ML.NET layer's tests against another Microsoft.ML version than the one the solution builds with
# (MicrosoftMLVersion in Directory.Packages.props, the lowest supported). CI runs it for the newest served version:
#   bash build/test-mlnet-version.sh 6.0.0
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: build/test-mlnet-version.sh VERSION (for example 6.0.0)}"
echo "ML.NET layer tests against Microsoft.ML $version"
dotnet test test/Microsoft.ML.DatasetDistillation.Tests -c Release -p:MicrosoftMLVersion="$version"
