// Fails early, with one clear message, on a Node version or platform the
// addon is not built for. Imported first by index.ts, and kept to syntax
// that old Node versions can still parse so that they reach this message.
var supported = 'tasklet supports Node.js 20, 22, 24 and 26 on Linux';
var major = Number(process.versions.node.split('.')[0]);
if (major < 20 || process.platform !== 'linux') {
  throw new Error(supported + '; this is Node.js ' + process.versions.node + ' on ' + process.platform + '-' + process.arch);
}
export {};
