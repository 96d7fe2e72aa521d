'use strict';
// The small task both pools run in bench/threads.bench.js.
module.exports = (x) => x + 1;
module.exports.add = (x) => x + 1;
