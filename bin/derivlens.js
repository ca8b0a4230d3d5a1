#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write('derivlens: dist/cli.js is missing; run `npm run build` (npm ci does it for you)\n');
  process.exit(2);
}
require(bundle).run(process.argv.slice(2));
