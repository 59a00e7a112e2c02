'use strict';
module.exports = require('./build/Release/adder.node');
