// Bootstrap of a data-parallel worker thread: TypeScript through tsx, then the worker's main module.
require("tsx/cjs/api").register();
require("./dp-worker-main.ts");
