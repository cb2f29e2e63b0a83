#!/usr/bin/env node
// The package's command (package.json "bin"): the CLI lives in the ESM build.
import '../dist/esm/cli/main.js';
