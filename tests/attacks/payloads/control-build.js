'use strict';
// Benign: a postinstall that generates code into its own folder, as many packages do.
const fs = require('fs');
const path = require('path');

fs.mkdirSync(path.join(__dirname, 'build'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'build', 'generated.js'), `module.exports = () => 'generated at install: ' + ${JSON.stringify(process.argv[2] || '')};\n`);
