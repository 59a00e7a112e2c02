// Kept equal to package.json's version (a unit test checks it): reading package.json at
// start-up would cost a file read on every run.
export const VERSION = '0.1.0';
